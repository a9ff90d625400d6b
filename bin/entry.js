// Which harness bin/repro-matrix.js runs: the compiled JavaScript (`npm run build`, run by
// `npm ci` through `prepare`), which starts in a tenth of the time, or the TypeScript sources
// through tsx. Plain JavaScript: it runs before either is loaded.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = new URL("../", import.meta.url);

/**
 * The compiled harness when it is at least as new as every TypeScript source; else the sources,
 * so an edit is never silently run as the build before it. REPRO_MATRIX_TSX=1 asks for the
 * sources. `why` says what decided, for tests and for anyone wondering which one ran.
 */
export function chooseEntry(root = ROOT, env = process.env) {
  const compiled = new URL("dist/harness/cli/main.js", root);
  const source = { kind: "source", url: new URL("harness/cli/main.ts", root) };
  if (env.REPRO_MATRIX_TSX === "1") return { ...source, why: "REPRO_MATRIX_TSX=1" };
  if (!existsSync(compiled)) return { ...source, why: "not built" };
  const built = statSync(compiled).mtimeMs;
  const sources = fileURLToPath(new URL("harness/", root));
  if (existsSync(sources)) {
    for (const entry of readdirSync(sources, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
      const file = join(entry.parentPath, entry.name);
      if (statSync(file).mtimeMs > built) return { ...source, why: `${file} changed since the build` };
    }
  }
  return { kind: "compiled", url: compiled, why: "built after every source changed" };
}

/** Loads the chosen harness and runs the command line; a harness that cannot load is one line, exit 1. */
export async function start(argv) {
  const entry = chooseEntry();
  try {
    if (entry.kind === "source") {
      const { register } = await import("tsx/esm/api");
      register();
    }
    const { runCli } = await import(entry.url.href);
    await runCli(argv);
  } catch (err) {
    process.stderr.write(
      `repro-matrix: cannot load the harness (${entry.why}): ${String(err?.message ?? err).split("\n")[0]}; run npm ci\n`,
    );
    process.exitCode = 1;
  }
}
