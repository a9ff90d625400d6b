import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { cellId, envKey, envOf } from "../cell/cell.js";
import { cellAxesKey } from "../cell/record.js";
import type { Scenario } from "../config/schema.js";
import { stableJson } from "../core/hash.js";
import { expandCells } from "../plan/expand.js";
import { type Shard, shardCells } from "../plan/shard.js";
import { resolveVersions } from "../releases/versions.js";
import { writeReports } from "../report/write-reports.js";
import { mergeResults } from "../store/merge.js";
import { type ResultsFile, readResultsFile } from "../store/results-file.js";
import type { NotRun } from "./types.js";

export interface ShardMerge {
  /** The merged results as written, or the earlier ones untouched when no shard sent any. */
  after: ResultsFile | undefined;
  notRun?: NotRun;
}

/**
 * One scenario's night from its CI shards: each shard's folder under `dir` (one per artifact)
 * holds <scenario>/results.json, which started as a copy of the committed results, so every
 * shard's file carries the cells of the others too, with their last verification. A shard whose
 * run did not complete (or that sent nothing) is named, and its cells are counted as not run: the
 * ones with an earlier result keep it and its date, and none is dropped.
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
  const name = o.scenario.scenario;
  const parts = await shardResults(o.dir, name);
  const earlierRuns = new Set((o.before?.runs ?? []).map((r) => stableJson(r)));
  const tonight = parts.flatMap((p) => p.results.runs).filter((r) => !earlierRuns.has(stableJson(r)));
  const done = new Set(tonight.filter((r) => r.completed).map((r) => r.shard));
  const failed: Shard[] = [];
  for (let index = 1; index <= o.shardCount; index++)
    if (!done.has(`${index}/${o.shardCount}`)) failed.push({ index, count: o.shardCount });
  const after = parts.length > 0 ? await writeReports(o.reportDir, mergeResults(parts)) : o.before;
  if (failed.length === 0) return { after };
  const nightStart = tonight.map((r) => r.startedAt).sort()[0] ?? "9999";
  return { after, notRun: await notRun(o, failed, after, nightStart) };
}

/** <dir>/<artifact>/<scenario>/results.json, for every artifact folder that has one. */
async function shardResults(dir: string, scenario: string): Promise<{ file: string; results: ResultsFile }[]> {
  const folders = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const parts: { file: string; results: ResultsFile }[] = [];
  for (const f of folders.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(dir, f.name, scenario, "results.json");
    // A shard that died mid-write, or a file of another shape, is no part: its cells count as not run.
    const results = await readResultsFile(file).catch(() => undefined);
    if (results?.scenario === scenario) parts.push({ file, results });
  }
  return parts;
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
