import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Scenario } from "../config/schema.js";
import { contentHash } from "../hash.js";
import type { Cell } from "../plan/cells.js";
import type { PlacedFile, Runtime, ServerPlace } from "../runtimes/runtime.js";
import { HARNESS_VERSION } from "../version.js";
import { gunicornCommand } from "./run-cell.js";

/**
 * The harness code that turns a running server into an outcome: how it is started, probed,
 * read and classified, for one runtime. Hashed into every key, so a change there re-runs the
 * cells it could change, while a change to reports or the CLI does not. Read once per process.
 */
const experimentCode = new Map<Runtime["name"], string>();

function experimentCodeOf(runtime: Runtime["name"]): string {
  let code = experimentCode.get(runtime);
  if (!code) {
    const root = fileURLToPath(new URL("../", import.meta.url));
    const files = ["probe", "classify", "evidence"].flatMap((dir) =>
      readdirSync(`${root}${dir}`)
        .filter((n) => n.endsWith(".ts"))
        .sort()
        .map((n) => `${dir}/${n}`),
    );
    // Only this runtime's own adapter: a fix to the local runtime does not re-run docker cells.
    files.push("run/run-cell.ts", "runtimes/runtime.ts", `runtimes/${runtime}-runtime.ts`);
    const hash = createHash("sha256");
    for (const f of files) hash.update(`${f}\0`).update(readFileSync(`${root}${f}`));
    code = hash.digest("hex").slice(0, 16);
    experimentCode.set(runtime, code);
  }
  return code;
}

/**
 * Everything that decides a cell's outcome, hashed: the env (its image tag or venv folder is
 * itself a hash of base, lock and files), the runtime, the command, the cell's fixture app, the
 * probes, signatures and timeouts, and the harness's version and experiment code. Equal key, equal experiment: a
 * re-run may reuse the recorded result instead of starting a server.
 */
export function cellKey(
  cell: Cell,
  s: Scenario,
  env: { image: string },
  runtime: Runtime["name"],
  apps: PlacedFile[],
  place?: ServerPlace,
): string {
  return contentHash({
    harness: HARNESS_VERSION,
    code: experimentCodeOf(runtime),
    runtime,
    env: env.image,
    command: gunicornCommand(cell, s, place),
    // Only what this cell's server can import: its own fixture and the shared helpers (_*.py),
    // so adding another fixture does not invalidate every recorded result.
    apps: apps
      .filter((a) => a.path === `${cell.app.replaceAll("-", "_")}.py` || a.path.startsWith("_"))
      .map((a) => [a.path, createHash("sha256").update(a.content).digest("hex")]),
    probes: s.probes,
    signatures: s.signatures,
    timeouts: s.timeouts,
    limits: s.limits,
    // Only when asked for: a single trial is the experiment every earlier key describes.
    ...(s.trials > 1 ? { trials: s.trials } : {}),
  });
}
