import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/store/record.js";
import { itScenario, runScenario, tempDir } from "../helpers/harness.js";

// Real engine, one cell at a time. A server whose workers take 4 s over their lifespan shutdown
// is only waiting once its stop has gone on for two seconds: the next cell boots meanwhile (holding
// the slot through such waits cost a full sweep nearly half its time). A server that stops at
// once keeps its slot to the end: its exiting workers keep a core busy.
const scenario = (app: string) =>
  itScenario(
    `it-overlap-${app}`,
    `packages:
  uvicorn: 0.39.0
  gunicorn: 23.0.0
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 2
apps: [${app}]
`,
  );

async function twoCellsOneAtATime(app: string) {
  const { records } = await runScenario(scenario(app), await tempDir("overlap"), { concurrency: 1 });
  const [first, second] = [...records].sort((a, b) => a.startedAt.localeCompare(b.startedAt)) as [CellRecord, CellRecord];
  for (const r of [first, second]) expect(r.outcome, r.reason).toBe("clean");
  return { first, second, firstEnded: Date.parse(first.startedAt) + first.durationMs, secondStarted: Date.parse(second.startedAt) };
}

describe("a cell whose server takes long to stop", () => {
  it("gives its slot to the next cell, and still sees the whole shutdown", async () => {
    const { first, second, firstEnded, secondStarted } = await twoCellsOneAtATime("slow-shutdown");
    for (const r of [first, second]) {
      // The fixture's 4 s shutdown was waited for, not cut short by the overlap.
      expect(r.phasesMs?.stop).toBeGreaterThanOrEqual(3900);
      expect(r.evidence.exit?.exitCode).toBe(0);
    }
    // Started well before the first cell ended, i.e. during its stop phase.
    expect(secondStarted).toBeLessThan(firstEnded - 1500);
  });

  it("but a server that stops at once keeps the slot until its cell ends", async () => {
    const { firstEnded, secondStarted } = await twoCellsOneAtATime("plain");
    // Record times are rounded to the millisecond.
    expect(secondStarted).toBeGreaterThanOrEqual(firstEnded - 5);
  });
});
