import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Scenario } from "../config/schema.js";
import { contentHash } from "../hash.js";
import type { Cell } from "../plan/cells.js";
import type { PlacedFile, Runtime } from "../runtimes/runtime.js";
import { HARNESS_VERSION } from "../version.js";
import { gunicornCommand } from "./run-cell.js";

/**
 * The harness code that turns a running server into an outcome: how it is started, probed,
 * read and classified. Hashed into every key, so a change there re-runs the cells it could
 * change, while a change to reports or the CLI does not. Read once per process.
 */
const EXPERIMENT_CODE: string = (() => {
  const root = fileURLToPath(new URL("../", import.meta.url));
  const hash = createHash("sha256");
  for (const dir of ["probe", "classify", "evidence", "runtimes"]) {
    for (const name of readdirSync(`${root}${dir}`)
      .filter((n) => n.endsWith(".ts"))
      .sort()) {
      hash.update(`${dir}/${name}\0`).update(readFileSync(`${root}${dir}/${name}`));
    }
  }
  hash.update(readFileSync(`${root}run/run-cell.ts`));
  return hash.digest("hex").slice(0, 16);
})();

/**
 * Everything that decides a cell's outcome, hashed: the env (its image tag or venv folder is
 * itself a hash of base, lock and files), the runtime, the command, the cell's fixture app, the
 * probes, signatures and timeouts, and the harness's version and experiment code. Equal key, equal experiment: a
 * re-run may reuse the recorded result instead of starting a server.
 */
export function cellKey(cell: Cell, s: Scenario, env: { image: string }, runtime: Runtime["name"], apps: PlacedFile[]): string {
  return contentHash({
    harness: HARNESS_VERSION,
    code: EXPERIMENT_CODE,
    runtime,
    env: env.image,
    command: gunicornCommand(cell, s),
    // Only what this cell's server can import: its own fixture and the shared helpers (_*.py),
    // so adding another fixture does not invalidate every recorded result.
    apps: apps
      .filter((a) => a.path === `${cell.app.replaceAll("-", "_")}.py` || a.path.startsWith("_"))
      .map((a) => [a.path, createHash("sha256").update(a.content).digest("hex")]),
    probes: s.probes,
    signatures: s.signatures,
    timeouts: s.timeouts,
  });
}
