import type { Writable } from "node:stream";
import type { RunEvent } from "./events.js";
import { Progress, shortDuration } from "./progress.js";
import type { ProgressReporter } from "./progress-reporter.js";
import { cellLine, summaryLines } from "./run-summary.js";

/**
 * Progress for logs (CI, a pipe): one line per cell that ran a server, whatever its outcome;
 * envs only when built or failed; cells whose recorded result was reused are counted, not listed
 * (a warm nightly run would print hundreds), and the run's last line says how many.
 */
export function plainReporter(out: Writable, progress = new Progress()): ProgressReporter {
  const say = (line: string) => {
    out.write(`${line}\n`);
  };
  return {
    onEvent(e) {
      for (const line of plainLines(e, progress)) say(line);
      progress.apply(e);
    },
    notice: say,
    [Symbol.dispose]() {},
  };
}

/** What an event prints, read before the event is applied (an env's start time is still there). */
export function plainLines(e: RunEvent, progress: Progress): string[] {
  switch (e.type) {
    case "run-started":
      return [...(e.note ? [e.note] : []), `run ${e.runId}: ${e.total} cells in ${e.envs} environments on the ${e.runtime} runtime`];
    case "env-ready": {
      const label = progress.envLabels.get(e.key) ?? e.key;
      const since = progress.preparing.get(e.key)?.since;
      const took = since === undefined ? "" : ` in ${shortDuration(progress.now() - since)}`;
      if (!e.ok) return [`env ${label}: install-failed${took}: ${e.reason}`];
      return e.imageBuilt ? [`env ${label}: built${took}`] : [];
    }
    case "cell-finished":
      return e.reused ? [] : [cellLine(e.record, e.done, e.total)];
    case "run-finished":
      return summaryLines(e);
    default:
      return [];
  }
}
