import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { Cell } from "../cell/cell.js";
import type { Scenario } from "../config/schema.js";
import { contentHash } from "../core/hash.js";
import { HARNESS_SOURCES, sourceOf } from "../core/source-root.js";
import { HARNESS_VERSION } from "../core/version.js";
import type { PlacedFile, ServerPlace } from "../runtimes/runtime.js";
import { filesOfCell } from "./fixtures.js";
import { gunicornCommand } from "./run-cell.js";

/** The stages that turn a running server into an outcome, whatever runs it (their .ts sources, also from dist/). */
const STAGES = ["probe", "classify", "evidence"].map((dir) => new URL(`${dir}/`, HARNESS_SOURCES));
const SHARED = ["run/run-cell.ts", "run/steps.ts", "runtimes/runtime.ts"].map((f) => new URL(f, HARNESS_SOURCES));

/** Every .ts file under `dir`, depth first, in a stable order. */
function sourcesUnder(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? sourcesUnder(new URL(`${e.name}/`, dir)) : e.name.endsWith(".ts") ? [new URL(e.name, dir)] : []));
}

/**
 * The harness code that turns a running server into an outcome: how it is started, probed, read
 * and classified, with the runtime adapter's whole folder (`codeDir`), whatever its files are
 * called. Hashed into every key, so a change there re-runs the cells it could change, while a
 * change to reports, the CLI or another runtime does not. The session reads it once.
 */
export function experimentCode(codeDir: URL): string {
  const hash = createHash("sha256");
  for (const file of [...STAGES.flatMap(sourcesUnder), ...SHARED, ...sourcesUnder(sourceOf(codeDir))])
    hash.update(`${file.href.slice(HARNESS_SOURCES.href.length)}\0`).update(readFileSync(file));
  return hash.digest("hex").slice(0, 16);
}

export interface CellKeyInputs {
  cell: Cell;
  scenario: Scenario;
  env: { image: string };
  runtime: { name: string; place?: ServerPlace | undefined };
  /** The session's experimentCode for this runtime. */
  code: string;
  apps: PlacedFile[];
}

/**
 * Everything that decides a cell's outcome, hashed: the env (its image tag or venv folder is
 * itself a hash of base, lock and files), the runtime, the command, the cell's fixture app, the
 * probes, signatures, checks, steps and timeouts, and the harness's version and experiment code. Equal key,
 * equal experiment: a re-run may reuse the recorded result instead of starting a server.
 */
export function cellKey({ cell, scenario: s, env, runtime, code, apps }: CellKeyInputs): string {
  return contentHash({
    harness: HARNESS_VERSION,
    code,
    runtime: runtime.name,
    env: env.image,
    command: gunicornCommand(cell, s, runtime.place),
    // Only what this cell's server can import: its own app and entry with the shared helpers
    // (_*.py), or its own app's folder, and its config file; so adding another app to the
    // scenario does not invalidate every recorded result.
    apps: filesOfCell(cell, s, apps).map((a) => [a.path, createHash("sha256").update(a.content).digest("hex")]),
    // The command holds the Gunicorn arguments; the environment is passed beside it.
    ...(cell.envVars ? { env: cell.envVars } : {}),
    probes: s.probes,
    signatures: s.signatures,
    timeouts: s.timeouts,
    limits: s.limits,
    // Only when asked for: a single trial is the experiment every earlier key describes.
    ...(s.trials > 1 ? { trials: s.trials } : {}),
    // Likewise: without them a cell is the probe-and-signature experiment earlier keys describe.
    ...(s.checks ? { checks: s.checks } : {}),
    ...(s.steps ? { steps: s.steps } : {}),
  });
}
