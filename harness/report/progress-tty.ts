import type { Writable } from "node:stream";
import { createLogUpdate } from "log-update";
import type { RunEvent } from "./events.js";
import { type InFlight, type Progress, shortDuration } from "./progress.js";
import { plainLines } from "./progress-plain.js";
import type { ProgressReporter } from "./progress-reporter.js";

export type TtyStream = Writable & { columns?: number; rows?: number };

/**
 * Progress on a terminal: finished cells that did not come out clean, envs built or failed and
 * the run's summary scroll by as lines; below them a live block (log-update) redrawn every second:
 * done/total, rate, ETA, each cell running now and each env being prepared, with their times.
 */
export function ttyReporter(out: TtyStream, progress: Progress): ProgressReporter {
  // The cursor stays visible: hiding it would need a restore on every way out, Ctrl-C included.
  const live = createLogUpdate(out, { showCursor: true });
  let closed = false;
  const draw = () => {
    if (!closed) live(liveBlock(progress, out.columns ?? 80, out.rows ?? 24).join("\n"));
  };
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    live.clear();
    live.done();
  };
  const timer = setInterval(draw, 1000);
  timer.unref();
  draw();
  return {
    onEvent(e) {
      const lines = ttyLines(e, progress);
      progress.apply(e);
      if (e.type === "run-finished") close();
      if (closed) for (const line of lines) out.write(`${line}\n`);
      else if (lines.length > 0) live.persist(lines.join("\n"));
      draw();
    },
    notice(line) {
      if (closed) out.write(`${line}\n`);
      else live.persist(line);
      draw();
    },
    [Symbol.dispose]: close,
  };
}

/** As in a log, less the clean cells: on a terminal the counter says those. */
function ttyLines(e: RunEvent, progress: Progress): string[] {
  if (e.type === "cell-finished" && e.record.outcome === "clean") return [];
  return plainLines(e, progress);
}

/** The live block: the status line, then what is in flight, oldest first, cut to the terminal. */
export function liveBlock(progress: Progress, columns: number, rows: number): string[] {
  const now = progress.now();
  const head = progress.started
    ? progress.statusLine()
    : `preparing the run: versions from the index, the runtime · ${shortDuration(progress.elapsed())}`;
  const byAge = (m: Map<string, InFlight>) => [...m.values()].sort((a, b) => a.since - b.since);
  const inFlight = [
    ...byAge(progress.running).map((c) => `  running   ${c.label} · ${shortDuration(now - c.since)}`),
    ...byAge(progress.preparing).map((p) => `  env       ${p.label} · preparing ${shortDuration(now - p.since)}`),
  ];
  // Room for the block on a small terminal, and for a line or two of scrollback above it.
  const room = Math.max(2, rows - 3);
  const shown = inFlight.length > room ? [...inFlight.slice(0, room - 1), `  … and ${inFlight.length - room + 1} more`] : inFlight;
  return [head, ...shown].map((line) => (line.length < columns ? line : `${line.slice(0, Math.max(1, columns - 2))}…`));
}
