import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, writeAtomic } from "../core/json-file.js";

/**
 * A run in progress, written before its first cell and removed once results.json holds its
 * cells (or, when it finished none, as it ends). Runs into one folder take turns (folder-lock.ts),
 * so one found by a later run means the earlier one was killed (kill -9, power loss) before it
 * could merge: `run --resume` takes that run's finished cells from results.jsonl.
 */
export const RunMarker = z.strictObject({ runId: z.string(), startedAt: z.string(), pid: z.number() });
export type RunMarker = z.infer<typeof RunMarker>;

const fileIn = (reportDir: string) => join(reportDir, "run-in-progress.json");

export const readRunMarker = (reportDir: string) => readJsonFile(fileIn(reportDir), RunMarker);
export const writeRunMarker = (reportDir: string, m: RunMarker) => writeAtomic(fileIn(reportDir), `${JSON.stringify(m)}\n`);
export const clearRunMarker = (reportDir: string) => rm(fileIn(reportDir), { force: true });
