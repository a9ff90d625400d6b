import { cellLabel } from "../cell/cell.js";
import type { CellRecord } from "../cell/record.js";
import type { RunEvent } from "./events.js";

export type RunFinished = Extract<RunEvent, { type: "run-finished" }>;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** `[3/8] reproduced     py3.9 … (2.1 s): signature in probe logs`: a finished cell, for people. */
export const cellLine = (record: CellRecord, done: number, total: number, reused = false) =>
  `[${done}/${total}] ${record.outcome.padEnd(14)} ${cellLabel(record)} (${reused ? `reused from ${record.startedAt.slice(0, 10)}` : seconds(record.durationMs)}): ${record.reason}`;

/** The run's last lines: what ran and how it ended, what changed in the table, what was dropped. */
export function summaryLines(e: RunFinished): string[] {
  const counts = Object.entries(e.counts)
    .map(([o, n]) => `${n} ${o}`)
    .join(", ");
  const lines = [
    `${e.info.completed ? "done" : "interrupted"}: ${e.info.cells} cells (${counts || "none"}${e.info.cellsReused ? `; ${e.info.cellsReused} reused, no server started` : ""}) in ${seconds(e.info.wallMs)}; ${e.info.runtime} envs built ${e.info.imagesBuilt}, reused ${e.info.imagesReused}; report ${e.reportDir}/README.md`,
  ];
  for (const change of e.changes) lines.push(`  ${change}`);
  if (e.changes.length === 0 && e.info.cells > 0) lines.push("  no change in the compatibility table");
  if (e.dropped.length > 0)
    lines.push(
      `  removed from results.json: ${e.dropped.length} recorded cell${e.dropped.length === 1 ? "" : "s"} no longer in ${e.info.config ?? "the scenario"}'s matrix (${e.dropped.slice(0, 3).join(", ")}${e.dropped.length > 3 ? ", …" : ""})`,
    );
  return lines;
}

/** `run --json`: the run's entry in results.json with its counts, report folder, changes and drops. */
export const summaryJson = (e: RunFinished) =>
  JSON.stringify({ ...e.info, counts: e.counts, reportDir: e.reportDir, changes: e.changes, dropped: e.dropped }, null, 2);
