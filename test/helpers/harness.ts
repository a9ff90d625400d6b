import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseScenario } from "../../harness/config/load.js";
import type { RunEvent } from "../../harness/report/events.js";
import { runMatrix } from "../../harness/run/run-matrix.js";
import { connectDocker } from "../../harness/runtimes/docker/docker-engine.js";
import type { RuntimeChoice } from "../../harness/runtimes/registry.js";

/** Shared with `npm run matrix`, so base images and downloads are reused across tests. */
export const CACHE_DIR = process.env.REPRO_MATRIX_CACHE ?? join(process.cwd(), ".cache");
export const BIN = join(process.cwd(), "bin", "repro-matrix.js");

const DEBIAN_SUITE_OF = { "3.9": "bullseye", "3.11": "bookworm" } as const;

/**
 * A scenario for integration tests: small, fast, and true whatever uvicorn's history is. `probes`
 * and `timeouts` (YAML flow maps) replace the defaults for a test that needs them short.
 */
export const itScenario = (
  name: string,
  body: string,
  python: keyof typeof DEBIAN_SUITE_OF = "3.9",
  {
    probes = "{ count: 16, concurrency: 4, coverageSeconds: 10 }",
    timeouts = "{ bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }",
  }: { probes?: string; timeouts?: string } = {},
) => `scenario: ${name}
python:
  "${python}": { base: "debian:${DEBIAN_SUITE_OF[python]}" }
onlyBinary: [uvloop]
signatures: ["RuntimeError: Event loop is closed"]
probes: ${probes}
timeouts: ${timeouts}
${body}`;

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `repro-matrix-${prefix}-`));
}

export async function writeConfig(dir: string, text: string): Promise<string> {
  const file = join(dir, "matrix.yaml");
  await writeFile(file, text);
  return file;
}

/** Run a scenario in-process on a real runtime (the engine by default), collecting the events. */
export async function runScenario(
  text: string,
  outDir: string,
  opts: {
    only?: string;
    signal?: AbortSignal;
    runtime?: RuntimeChoice;
    file?: string;
    force?: boolean;
    rebuild?: boolean;
    concurrency?: number;
    /** Docker: a container per cell instead of one per env that its cells share in turn. */
    containerPerCell?: boolean;
    /** Called with each event as it happens (fault tests act on "cell-started"). */
    onEvent?: (e: RunEvent) => void;
  } = {},
) {
  const events: RunEvent[] = [];
  const docker = opts.runtime === "local" ? undefined : await connectDocker();
  const result = await runMatrix({
    scenario: parseScenario(text, opts.file),
    runtime: opts.runtime ?? "docker",
    outDir,
    cacheDir: CACHE_DIR,
    concurrency: opts.concurrency ?? 2,
    ...(opts.containerPerCell ? { containerPerCell: true } : {}),
    signal: opts.signal ?? new AbortController().signal,
    onEvent: (e) => {
      events.push(e);
      opts.onEvent?.(e);
    },
    ...(opts.only ? { only: opts.only } : {}),
    ...(opts.force ? { force: true } : {}),
    ...(opts.rebuild ? { rebuild: true } : {}),
  });
  return { ...result, events, docker };
}
