import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, writeAtomic } from "../core/json-file.js";

/**
 * A run in progress, written before its first cell and removed once results.json holds its
 * cells. Found by a later run, it means the earlier one was killed (kill -9, power loss) before
 * it could merge: `run --resume` takes that run's finished cells from results.jsonl.
 */
export const RunMarker = z.strictObject({ runId: z.string(), startedAt: z.string(), pid: z.number() });
export type RunMarker = z.infer<typeof RunMarker>;

const fileIn = (reportDir: string) => join(reportDir, "run-in-progress.json");

export const readRunMarker = (reportDir: string) => readJsonFile(fileIn(reportDir), RunMarker);
export const writeRunMarker = (reportDir: string, m: RunMarker) => writeAtomic(fileIn(reportDir), `${JSON.stringify(m)}\n`);
export const clearRunMarker = (reportDir: string) => rm(fileIn(reportDir), { force: true });

/** Whether the marker's process still runs (then it is a concurrent run, not a dead one). */
export function markerAlive(m: RunMarker): boolean {
  try {
    process.kill(m.pid, 0);
    return m.pid !== process.pid;
  } catch {
    return false;
  }
}
