import { createHash } from "node:crypto";
import type { Scenario } from "../config/schema.js";
import { contentHash } from "../hash.js";
import type { Cell } from "../plan/cells.js";
import type { PlacedFile, Runtime } from "../runtimes/runtime.js";
import { HARNESS_VERSION } from "../version.js";
import { gunicornCommand } from "./run-cell.js";

/**
 * Everything that decides a cell's outcome, hashed: the env (its image tag or venv folder is
 * itself a hash of base, lock and files), the runtime, the command, the cell's fixture app, the
 * probes, signatures and timeouts, and the harness version. Equal key, equal experiment: a
 * re-run may reuse the recorded result instead of starting a server.
 */
export function cellKey(cell: Cell, s: Scenario, env: { image: string }, runtime: Runtime["name"], apps: PlacedFile[]): string {
  return contentHash({
    harness: HARNESS_VERSION,
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
