import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { runScenario, tempDir } from "../helpers/harness.js";

// A real server one of whose workers boots, stays up and stops gracefully, but is never handed a
// connection (images/apps/one_never_accepts.py): what a loaded machine's scheduler did to 3 of
// #85's 432 cells (issue #20). It must not read as other-failure; a note on the clean cell names it.
// coverageSeconds is short so the adaptive window (3 times it) ends the probes soon. The same
// worker after a traceback (unreached_after_traceback.py) fails its cell, and no window opens.
const SCENARIO = `scenario: it-unreached-worker
python:
  "3.11": { base: "debian:bookworm" }
onlyBinary: [uvloop]
signatures: ["RuntimeError: Event loop is closed"]
packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [one-never-accepts, unreached-after-traceback, plain]
probes: { count: 16, concurrency: 4, coverageSeconds: 1 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
`;

describe("a worker that booted but was never handed a connection, on a real server", () => {
  it("leaves the cell clean with a note and the pid in the evidence; its neighbour cell is clean without one", async () => {
    const { records } = (await runScenario(SCENARIO, await tempDir("unreached"))) as { records: CellRecord[] };
    const shy = records.find((r) => r.app === "one-never-accepts") as CellRecord;
    const log = shy.evidence.logTail.map((l) => `${l.phase}: ${l.text}`).join("\n");
    expect(shy.outcome, `${shy.reason}\n${log}`).toBe("clean");
    expect(shy.reason).toMatch(/from 1\/2 workers; 1 worker up but never handed a connection \(pid \d+\)$/);
    expect(shy.evidence.pidsServed).toHaveLength(1);
    expect(shy.evidence.unreachedWorkers).toHaveLength(1);
    expect(shy.evidence.pidsServed).not.toContain(shy.evidence.unreachedWorkers?.[0]);
    const plain = records.find((r) => r.app === "plain") as CellRecord;
    expect(plain.outcome, plain.reason).toBe("clean");
    expect(plain.evidence.unreachedWorkers).toBeUndefined();

    // The same unreached worker after a traceback: the cell fails whatever the probes see, so
    // they stop at coverageSeconds (1 s) instead of waiting out three times it for that worker.
    const failed = records.find((r) => r.app === "unreached-after-traceback") as CellRecord;
    expect(failed.outcome, failed.reason).toBe("other-failure");
    expect(failed.reason).toMatch(/1 traceback in [a-z/]+: RuntimeError: unreached-after-traceback/);
    expect(failed.phasesMs?.probe).toBeLessThan(2_500);
    expect(shy.phasesMs?.probe).toBeGreaterThanOrEqual(2_900);
  }, 600_000);
});
