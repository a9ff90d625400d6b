import { existsSync } from "node:fs";

/**
 * The checkout's root: the first folder above this file that holds package.json. The harness
 * runs as TypeScript (harness/core/, through tsx) or compiled (dist/harness/core/, `npm run
 * build`), so a path relative to import.meta.url would differ between the two; the root does not.
 */
function findRoot(from: URL): URL {
  for (let dir = from; ; dir = new URL("../", dir)) {
    if (existsSync(new URL("package.json", dir))) return dir;
    if (dir.pathname === "/") throw new Error(`no package.json above ${from.pathname}: the harness is not in its checkout`);
  }
}

export const PACKAGE_ROOT: URL = findRoot(new URL("./", import.meta.url));

/**
 * The TypeScript sources (harness/), also when the compiled JavaScript runs: cell keys hash
 * these, so a result recorded by a tsx run is reused by a compiled run and the other way round.
 */
export const HARNESS_SOURCES: URL = new URL("harness/", PACKAGE_ROOT);

/** Where `npm run build` puts the compiled harness (tsconfig's outDir, rootDir the checkout). */
const COMPILED = new URL("dist/harness/", PACKAGE_ROOT);

/** A folder or file of the running harness (an import.meta.url), as its place in the TypeScript sources. */
export const sourceOf = (url: URL): URL =>
  url.href.startsWith(COMPILED.href) ? new URL(url.href.slice(COMPILED.href.length), HARNESS_SOURCES) : url;
