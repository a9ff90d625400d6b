import { beforeAll, describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { runScenario, tempDir } from "../helpers/harness.js";

// coverageSeconds is long on purpose: a probe phase that waited for pid-bearing answers from
// every worker would sit through all 30 s on these cells, whose every answer is an error page.
const COVERAGE_SECONDS = 30;
const SCENARIO = `scenario: it-coverage
packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
python:
  "3.9": { base: "debian:bullseye" }
onlyBinary: [uvloop]
workerClasses: [uvicorn.workers.UvicornWorker, uvicorn.workers.UvicornH11Worker]
preload: [true]
workers: 4
apps: [import-time-loop, prints-signature, plain]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 16, concurrency: 4, coverageSeconds: ${COVERAGE_SECONDS} }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
`;

/**
 * The probe phase ends as soon as more probing cannot change the outcome: every worker reached
 * (known by the pid in a body, or in the log line of a request it failed), or the signature seen.
 */
describe("the probes stop when every worker has been reached, on real servers", () => {
  let records: CellRecord[];
  const cell = (app: string, worker: string) => records.find((r) => r.app === app && r.workerClass.endsWith(worker)) as CellRecord;

  beforeAll(async () => {
    ({ records } = (await runScenario(SCENARIO, await tempDir("coverage"))) as { records: CellRecord[] });
  }, 300_000);

  for (const worker of [".UvicornWorker", ".UvicornH11Worker"]) {
    it(`${worker.slice(1)}, every answer a 500 with no pid: other-failure, and the workers are known reached from their logs`, () => {
      const r = cell("import-time-loop", worker);
      expect(r.outcome, r.reason).toBe("other-failure");
      expect(r.evidence.statusCounts).toEqual({ 500: r.evidence.requests });
      expect(r.reason).toMatch(/only 0\/4 workers served/);
      expect(r.phasesMs?.probe).toBeLessThan((COVERAGE_SECONDS * 1000) / 3);
    });
  }

  it("the signature already in the logs: reproduced, without probing through coverageSeconds", () => {
    const r = cell("prints-signature", ".UvicornWorker");
    expect(r.outcome, r.reason).toBe("reproduced");
    expect(r.phasesMs?.probe).toBeLessThan((COVERAGE_SECONDS * 1000) / 3);
  });

  it("a clean server still has to be served by every worker", () => {
    const r = cell("plain", ".UvicornWorker");
    expect(r.outcome, r.reason).toBe("clean");
    expect(r.evidence.pidsServed).toHaveLength(4);
  });
});
