import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/store/record.js";
import { itScenario, runScenario, tempDir } from "../helpers/harness.js";

// Real engine: two servers whose workers each take 2 s over their lifespan shutdown, run one
// cell at a time. The second must boot while the first is still stopping: a stopping server
// only waits, and holding the CPU slot through it cost a full sweep nearly half its time.
const SCENARIO = itScenario(
  "it-overlap",
  `packages:
  uvicorn: 0.39.0
  gunicorn: 23.0.0
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 2
apps: [slow-shutdown]
`,
);

describe("a cell that only waits for its server to stop", () => {
  it("gives its slot to the next cell, and both still see the whole shutdown", async () => {
    const out = await tempDir("overlap");
    const { records } = await runScenario(SCENARIO, out, { concurrency: 1 });
    const [first, second] = [...records].sort((a, b) => a.startedAt.localeCompare(b.startedAt)) as [CellRecord, CellRecord];
    for (const r of [first, second]) {
      expect(r.outcome, r.reason).toBe("clean");
      // The fixture's 2 s shutdown was waited for, not cut short by the overlap.
      expect(r.phasesMs?.stop).toBeGreaterThanOrEqual(1900);
      expect(r.evidence.exit?.exitCode).toBe(0);
    }
    const firstEnded = Date.parse(first.startedAt) + first.durationMs;
    // Started at least a second before the first cell ended, i.e. during its stop phase.
    expect(Date.parse(second.startedAt)).toBeLessThan(firstEnded - 1000);
  });
});
