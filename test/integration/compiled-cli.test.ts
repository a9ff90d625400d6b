import { copyFile, mkdir, readdir, readFile, symlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { chooseEntry } from "../../bin/entry.js";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";

const CHECKOUT = process.cwd();

/**
 * A checkout with the harness compiled (`npm run build` into its dist/) and no tsx installed:
 * the sources, images and package.json are the real ones (linked), bin/ is copied (a link
 * would resolve back to this checkout), and node_modules links every package but tsx, so a
 * harness that fell back to the sources could not load.
 */
async function compiledCheckout(): Promise<string> {
  const root = await tempDir("compiled");
  await execa("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", join(root, "dist")], { cwd: CHECKOUT });
  for (const name of ["harness", "images", "package.json"]) await symlink(join(CHECKOUT, name), join(root, name));
  await mkdir(join(root, "bin"));
  for (const name of await readdir(join(CHECKOUT, "bin"))) await copyFile(join(CHECKOUT, "bin", name), join(root, "bin", name));
  await mkdir(join(root, "node_modules"));
  for (const name of await readdir(join(CHECKOUT, "node_modules")))
    if (name !== "tsx" && name !== ".bin") await symlink(join(CHECKOUT, "node_modules", name), join(root, "node_modules", name));
  return root;
}

describe("the compiled harness (npm run build)", () => {
  let root: string;
  beforeAll(async () => {
    root = await compiledCheckout();
  }, 600_000);

  it("is what bin runs, and starts without tsx", async () => {
    expect(chooseEntry(pathToFileURL(`${root}/`), {})).toMatchObject({ kind: "compiled" });
    const r = await execa("node", [join(root, "bin", "repro-matrix.js"), "--version"], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(JSON.parse(await readFile("package.json", "utf8")).version);
  });

  it("computes the cell keys the TypeScript sources do: a run's cells are reused by the other", async () => {
    const dir = await tempDir("compiled-keys");
    const config = await writeConfig(
      dir,
      itScenario(
        "compiled-keys",
        "packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }\nworkerClasses: [uvicorn.workers.UvicornWorker]\npreload: [false]\nworkers: 2\napps: [plain]\n",
        "3.11",
      ),
    );
    const args = ["run", "--runtime", "local", "--config", config, "--out", dir, "--cache-dir", resolve(CACHE_DIR)];
    const compiled = await execa("node", [join(root, "bin", "repro-matrix.js"), ...args], { reject: false });
    expect(compiled.exitCode, compiled.stderr).toBe(0);
    expect(compiled.stderr).toMatch(/^done: 1 cells \(1 clean\) in/m);
    const fromSources = await execa("node", [BIN, ...args], { reject: false, env: { REPRO_MATRIX_TSX: "1" } });
    expect(fromSources.exitCode, fromSources.stderr).toBe(0);
    expect(fromSources.stderr).toMatch(/^done: 1 cells \(1 clean; 1 reused, no server started\) in/m);
  }, 600_000);
});
