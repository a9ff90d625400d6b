import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { cellId, envKey, envOf } from "../cell/cell.js";
import { cellAxesKey } from "../cell/record.js";
import type { Scenario } from "../config/schema.js";
import { readJsonFile, writeAtomic } from "../core/json-file.js";
import { expandCells } from "../plan/expand.js";
import { type Shard, shardCells } from "../plan/shard.js";
import { resolveVersions } from "../releases/versions.js";
import { writeReports } from "../report/write-reports.js";
import { mergeResults } from "../store/merge.js";
import { type ResultsFile, readResultsFile } from "../store/results-file.js";
import type { NotRun } from "./types.js";

/**
 * What a shard leaves beside its results when its run ended completed: the merge's only sign that
 * the shard ran to the end. (Its results cannot say so: a shard with nothing new to run, or no
 * env at all, records no run.)
 */
const ShardMarker = z.strictObject({
  scenario: z.string(),
  /** "i/n" */
  shard: z.string().regex(/^\d+\/\d+$/),
  /** When the shard's run started, ISO 8601: cells verified since were verified tonight. */
  startedAt: z.string(),
});
type ShardMarker = z.infer<typeof ShardMarker>;

const MARKER = "night-shard.json";

export const writeShardMarker = (reportDir: string, marker: ShardMarker) =>
  writeAtomic(join(reportDir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);

export interface ShardMerge {
  /** The merged results as written, or the earlier ones untouched when no shard sent any. */
  after: ResultsFile | undefined;
  notRun?: NotRun;
}

/**
 * One scenario's night from its CI shards: each shard's folder under `dir` (one per artifact)
 * holds <scenario>/results.json, which started as a copy of the committed results, so every
 * shard's file carries the cells of the others too, with their last verification, and the
 * shard's marker when its run completed. A shard without one is named, and its cells are counted
 * as not run: the ones with an earlier result keep it and its date, and none is dropped.
 */
export async function mergeShards(o: {
  scenario: Scenario;
  file: string;
  before: ResultsFile | undefined;
  dir: string;
  shardCount: number;
  reportDir: string;
  signal: AbortSignal;
}): Promise<ShardMerge> {
  const { parts, markers } = await shardOutputs(o.dir, o.scenario.scenario);
  const done = new Set(markers.map((m) => m.shard));
  const failed: Shard[] = [];
  for (let index = 1; index <= o.shardCount; index++)
    if (!done.has(`${index}/${o.shardCount}`)) failed.push({ index, count: o.shardCount });
  const after = parts.length > 0 ? await writeReports(o.reportDir, mergeResults(parts)) : o.before;
  if (failed.length === 0) return { after };
  // Tonight began when the first shard did (a failed shard that sent results recorded its run too).
  const earlierRuns = new Set((o.before?.runs ?? []).map((r) => r.startedAt));
  const starts = [
    ...markers.map((m) => m.startedAt),
    ...parts.flatMap((p) => p.results.runs.map((r) => r.startedAt)).filter((t) => !earlierRuns.has(t)),
  ];
  const nightStart = starts.sort()[0] ?? "9999";
  return { after, notRun: await notRun(o, failed, after, nightStart) };
}

/** Per artifact folder under `dir`: <scenario>/results.json and the shard's marker, where there are. */
async function shardOutputs(
  dir: string,
  scenario: string,
): Promise<{ parts: { file: string; results: ResultsFile }[]; markers: ShardMarker[] }> {
  const folders = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const parts: { file: string; results: ResultsFile }[] = [];
  const markers: ShardMarker[] = [];
  for (const f of folders.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(dir, f.name, scenario, "results.json");
    // A shard that died mid-write, or a file of another shape, is no part: its cells count as not run.
    const results = await readResultsFile(file).catch(() => undefined);
    if (results?.scenario === scenario) parts.push({ file, results });
    const marker = await readJsonFile(join(dir, f.name, scenario, MARKER), ShardMarker);
    if (marker?.scenario === scenario) markers.push(marker);
  }
  return { parts, markers };
}

/**
 * The cells the failed shards held (the same slices their runs would have taken: whole envs,
 * dealt by key), and which of them have a result verified before tonight or none at all.
 */
async function notRun(
  o: { scenario: Scenario; file: string; signal: AbortSignal },
  failed: Shard[],
  after: ResultsFile | undefined,
  nightStart: string,
): Promise<NotRun> {
  const s = o.scenario;
  const matrix = expandCells(s, await resolveVersions(s, { file: o.file, signal: o.signal }));
  const held = failed.flatMap((shard) => shardCells(matrix, (c) => envKey(envOf(c, s)), shard));
  const verified = new Map<string, string>();
  for (const c of after?.cells ?? []) {
    const key = cellAxesKey(c);
    if ((verified.get(key) ?? "") < c.startedAt) verified.set(key, c.startedAt);
  }
  const notTonight = held.filter((c) => (verified.get(cellAxesKey(c)) ?? "") < nightStart);
  const missing = notTonight.filter((c) => !verified.has(cellAxesKey(c)));
  return {
    shards: failed.map((f) => `${f.index}/${f.count}`),
    cells: notTonight.length,
    carried: notTonight.length - missing.length,
    missing: missing.map(cellId),
  };
}
