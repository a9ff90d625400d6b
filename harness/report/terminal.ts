import type { Writable } from "node:stream";
import { cellLabel } from "../cell/cell.js";
import type { RunListener } from "./events.js";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Progress for people: on a TTY one status line redrawn in place (done/total, current cell,
 * elapsed); otherwise (CI logs) one plain line per event.
 */
export function terminalReporter(out: Writable & { isTTY?: boolean; columns?: number }): RunListener {
  const tty = Boolean(out.isTTY);
  const t0 = performance.now();
  let done = 0;
  let total = 0;
  let current = "";
  const status = () => {
    if (!tty) return;
    const line = `[${done}/${total}] ${seconds(performance.now() - t0)} ${current}`;
    out.write(`\r\x1b[2K${line.slice(0, (out.columns ?? 120) - 1)}`);
  };
  const print = (line: string) => {
    out.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
    status();
  };
  const timer = tty ? setInterval(status, 1000) : undefined;
  timer?.unref();
  return (e) => {
    switch (e.type) {
      case "run-started":
        total = e.total;
        if (e.note) print(e.note);
        print(`run ${e.runId}: ${e.total} cells in ${e.envs} environments on the ${e.runtime} runtime`);
        break;
      case "env-ready":
        print(`env ${e.key}: ${e.ok ? (e.imageBuilt ? "built" : "reused") : `install-failed: ${e.reason}`}`);
        break;
      case "cell-started":
        current = cellLabel(e.cell);
        status();
        break;
      case "cell-finished":
        done = e.done;
        if (!tty || e.record.outcome !== "clean") {
          print(
            `[${e.done}/${e.total}] ${e.record.outcome.padEnd(14)} ${cellLabel(e.record)} (${e.reused ? `reused from ${e.record.startedAt.slice(0, 10)}` : seconds(e.record.durationMs)}): ${e.record.reason}`,
          );
        } else status();
        break;
      case "run-finished": {
        if (timer) clearInterval(timer);
        const counts = Object.entries(e.counts)
          .map(([o, n]) => `${n} ${o}`)
          .join(", ");
        print(
          `${e.info.completed ? "done" : "interrupted"}: ${e.info.cells} cells (${counts || "none"}${e.info.cellsReused ? `; ${e.info.cellsReused} reused, no server started` : ""}) in ${seconds(e.info.wallMs)}; ${e.info.runtime} envs built ${e.info.imagesBuilt}, reused ${e.info.imagesReused}; report ${e.reportDir}/README.md`,
        );
        for (const change of e.changes) print(`  ${change}`);
        if (e.changes.length === 0 && e.info.cells > 0) print("  no change in the compatibility table");
        if (e.dropped.length > 0)
          print(
            `  removed from results.json: ${e.dropped.length} recorded cell${e.dropped.length === 1 ? "" : "s"} no longer in ${e.info.config ?? "the scenario"}'s matrix (${e.dropped.slice(0, 3).join(", ")}${e.dropped.length > 3 ? ", …" : ""})`,
          );
        break;
      }
    }
  };
}
