import { describe, expect, it } from "vitest";
import { classify, type RunFacts } from "../../harness/classify/classify.js";
import { compileSignature } from "../../harness/config/signature.js";
import { LogCollector } from "../../harness/evidence/log-collector.js";

/** Four workers' lives in Gunicorn's log format: `probe` lines are written while probing, `shutdown` after the stop. */
function logsOf(lines: { boot?: string[]; probe?: string[]; shutdown?: string[] }) {
  const c = new LogCollector([compileSignature("RuntimeError: Event loop is closed")]);
  c.write("stderr", (lines.boot ?? []).map((l) => `${l}\n`).join(""));
  c.phase = "probe";
  c.write("stderr", (lines.probe ?? []).map((l) => `${l}\n`).join(""));
  c.phase = "shutdown";
  c.write("stderr", (lines.shutdown ?? []).map((l) => `${l}\n`).join(""));
  return c.finish();
}

const boots = (...pids: number[]) => pids.map((p) => `[2024-01-01 00:00:00 +0000] [${p}] [INFO] Booting worker with pid: ${p}`);
const exits = (...pids: number[]) => pids.map((p) => `[2024-01-01 00:00:09 +0000] [${p}] [INFO] Worker exiting (pid: ${p})`);

/** As on the loaded machine of issue #20: every request answered 200, one worker never handed a connection. */
const threeOfFour = (logs: RunFacts["logs"]): RunFacts => ({
  readiness: { state: "ready", afterMs: 900 },
  probes: { requests: 600, statusCounts: { 200: 600 }, connectionErrors: {}, pidsServed: [11, 12, 13], unexpected: [], workerMemory: [] },
  logs,
  workersAsked: 4,
  expectedStatus: 200,
  cellTimedOut: false,
});

describe("a worker that booted but was never handed a connection", () => {
  it("leaves the cell clean, with a note naming it, when it stayed up and stopped gracefully", () => {
    const r = classify(threeOfFour(logsOf({ boot: boots(11, 12, 13, 14), shutdown: exits(11, 12, 13, 14) })));
    expect(r).toEqual({
      outcome: "clean",
      reason: "600/600 × 200 from 3/4 workers; 1 worker up but never handed a connection (pid 14)",
      unreachedWorkers: [14],
    });
  });

  it("still fails the cell when the fourth worker never booted", () => {
    const r = classify(threeOfFour(logsOf({ boot: boots(11, 12, 13), shutdown: exits(11, 12, 13) })));
    expect(r).toEqual({ outcome: "other-failure", reason: "only 3/4 workers served" });
  });

  it("still fails the cell when it died while the probes ran", () => {
    const died = ["[2024-01-01 00:00:05 +0000] [1] [ERROR] Worker (pid:14) was sent SIGKILL! Perhaps out of memory?"];
    const r = classify(threeOfFour(logsOf({ boot: boots(11, 12, 13, 14), probe: died, shutdown: exits(11, 12, 13) })));
    expect(r.outcome).toBe("other-failure");
  });

  it("still fails the cell when it did not exit gracefully at the stop (hung, then killed)", () => {
    const r = classify(threeOfFour(logsOf({ boot: boots(11, 12, 13, 14), shutdown: exits(11, 12, 13) })));
    expect(r).toEqual({ outcome: "other-failure", reason: "only 3/4 workers served" });
    const killed = [
      ...exits(11, 12, 13),
      "[2024-01-01 00:00:09 +0000] [14] [INFO] Shutting down",
      "[x] [1] [ERROR] Worker (pid:14) was sent SIGKILL!",
    ];
    expect(classify(threeOfFour(logsOf({ boot: boots(11, 12, 13, 14), shutdown: killed }))).outcome).toBe("other-failure");
  });

  it("takes a worker's own line at the stop as its graceful exit (Gunicorn 23 with uvicorn logs no 'Worker exiting')", () => {
    const stop = [11, 12, 13, 14].flatMap((p) => [
      `[2024-01-01 00:00:09 +0000] [${p}] [INFO] Shutting down`,
      `[2024-01-01 00:00:09 +0000] [${p}] [INFO] Finished server process [${p}]`,
      `[2024-01-01 00:00:09 +0000] [1] [ERROR] Worker (pid:${p}) was sent SIGTERM!`,
    ]);
    const r = classify(threeOfFour(logsOf({ boot: boots(11, 12, 13, 14), shutdown: stop })));
    expect(r.outcome).toBe("clean");
    expect(r.unreachedWorkers).toEqual([14]);
  });

  it("still fails the cell when any probe failed, naming the missing worker too", () => {
    const facts = threeOfFour(logsOf({ boot: boots(11, 12, 13, 14), shutdown: exits(11, 12, 13, 14) }));
    const r = classify({ ...facts, probes: { ...facts.probes!, statusCounts: { 200: 599, 500: 1 } } });
    expect(r).toEqual({ outcome: "other-failure", reason: "1/600 probes failed (1×500); only 3/4 workers served" });
  });

  it("counts a worker that exited before the stop as lost, not healthy", () => {
    const logs = logsOf({ boot: boots(11, 12, 13, 14), probe: exits(14), shutdown: exits(11, 12, 13) });
    expect(logs.workerLiveness).toEqual({ booted: [11, 12, 13, 14], lost: [14], stoppedGracefully: [11, 12, 13] });
  });
});
