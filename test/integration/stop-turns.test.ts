import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import type { RunEvent } from "../../harness/report/events.js";
import { itScenario, runScenario, tempDir } from "../helpers/harness.js";

// One cell at a time, and a first cell whose workers never finish shutting down
// (images/apps/hangs_at_shutdown.py): its stop waits out the whole grace period (stopSeconds 5)
// and ends in a kill. That wait holds a container, not a core, so the run's turn passes on as
// the stop begins and the next cell boots meanwhile, on either runtime.
const SCENARIO = itScenario(
  "it-stop-turns",
  `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [hangs-at-shutdown, plain]
`,
  "3.11",
);

const order = (events: RunEvent[]) =>
  events.flatMap((e) =>
    e.type === "cell-started" ? [`started ${e.cell.app}`] : e.type === "cell-finished" ? [`finished ${e.record.app}`] : [],
  );

describe("a cell's turn ends as its server's stop begins", () => {
  it.each(["docker", "local"] as const)(
    "%s: the next cell runs while a server waits out its grace period",
    async (runtime) => {
      const { records, events } = await runScenario(SCENARIO, await tempDir("stop-turns"), { concurrency: 1, force: true, runtime });
      const hangs = (records as CellRecord[]).find((r) => r.app === "hangs-at-shutdown") as CellRecord;
      const plain = (records as CellRecord[]).find((r) => r.app === "plain") as CellRecord;
      // The stop took the grace period and a kill: the wait the next cell overlaps.
      expect(hangs.evidence.exit?.killed, hangs.reason).toBe(true);
      expect(hangs.phasesMs?.stop).toBeGreaterThanOrEqual(4_500);
      expect(plain.outcome, plain.reason).toBe("clean");
      // One turn: the plain cell starts only once the hanging one is stopping, and is done before it.
      expect(order(events)).toEqual(["started hangs-at-shutdown", "started plain", "finished plain", "finished hangs-at-shutdown"]);
      const { start = 0, boot = 0, probe = 0 } = hangs.phasesMs ?? {};
      expect(Date.parse(plain.startedAt)).toBeGreaterThanOrEqual(Date.parse(hangs.startedAt) + start + boot + probe - 50);
    },
    600_000,
  );
});
