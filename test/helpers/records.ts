import type { CellRecord } from "../../harness/cell/record.js";

/**
 * Shorthand for the package axes most tests vary: `uvicorn` and `gunicorn` set those entries of
 * `packages` (which may name others too).
 */
export type RecordOverrides = Partial<CellRecord> & { uvicorn?: string; gunicorn?: string };

/** A cell record with plausible evidence; tests override only what they look at. */
export function record(over: RecordOverrides = {}): CellRecord {
  const { uvicorn, gunicorn, packages, ...rest } = over;
  return {
    scenario: "demo",
    packages: {
      uvicorn: uvicorn ?? packages?.uvicorn ?? "0.11.4",
      gunicorn: gunicorn ?? packages?.gunicorn ?? "23.0.0",
      ...Object.fromEntries(Object.entries(packages ?? {}).filter(([n]) => n !== "uvicorn" && n !== "gunicorn")),
    },
    python: "3.9",
    workerClass: "uvicorn.workers.UvicornWorker",
    preload: true,
    app: "plain",
    workers: 8,
    outcome: "clean",
    reason: "48/48 × 200 from 8/8 workers",
    runtime: "docker",
    pythonFull: "3.9.2",
    image: "repro-matrix-env:abc",
    command: ["gunicorn"],
    startedAt: "2026-11-25T10:00:00.000Z",
    durationMs: 3000,
    evidence: {
      signatureMatches: [],
      tracebacks: 0,
      tracebackPhases: [],
      requests: 48,
      statusCounts: { 200: 48 },
      connectionErrors: {},
      pidsServed: [1, 2, 3, 4, 5, 6, 7, 8],
      workersAsked: 8,
      readiness: { state: "ready", afterMs: 900 },
      logTail: [],
      totalLogLines: 20,
      packages: ["gunicorn==23.0.0", "uvicorn==0.11.4"],
    },
    ...rest,
  };
}
