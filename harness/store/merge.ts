import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type CellRecord, cellIdentity } from "../cell/record.js";
import { ConfigError } from "../core/errors.js";
import { stableJson } from "../core/hash.js";
import { RESULTS_SCHEMA_VERSION, type ResultsFile } from "./results-file.js";

/**
 * One results file from the results of several shards (or machines) of one scenario: every
 * cell (its newest verification), every run listed once, in time order. The report
 * rendered from it is the one an unsharded run would write.
 */
export function mergeResults(parts: { file: string; results: ResultsFile }[]): ResultsFile {
  const [first] = parts;
  if (!first) throw new ConfigError("merge: no results to merge");
  for (const p of parts) {
    if (p.results.scenario !== first.results.scenario) {
      throw new ConfigError(`merge: ${p.file} is scenario "${p.results.scenario}", ${first.file} is "${first.results.scenario}"`);
    }
  }
  const byTime = [...parts].sort((a, b) => newestRun(a.results).localeCompare(newestRun(b.results)));
  const newest = byTime.at(-1)?.results ?? first.results;
  // Shards often start from the same earlier results (the committed report), so a cell may be
  // in several files: the newest verification of it wins, whichever shard finished last.
  const cells = new Map<string, CellRecord>();
  for (const c of byTime.flatMap((p) => p.results.cells)) {
    const id = cellIdentity(c);
    const seen = cells.get(id);
    if (!seen || c.startedAt >= seen.startedAt) cells.set(id, c);
  }
  const runs = new Map(parts.flatMap((p) => p.results.runs).map((r) => [stableJson(r), r]));
  const verified = parts.map((p) => p.results.lastVerified).sort();
  return {
    ...newest,
    schemaVersion: RESULTS_SCHEMA_VERSION,
    cells: [...cells.values()],
    lastVerified: verified.at(-1) ?? newest.lastVerified,
    runs: [...runs.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt)),
  };
}

const newestRun = (r: ResultsFile) =>
  r.runs
    .map((x) => x.startedAt)
    .sort()
    .at(-1) ?? "";

/**
 * The results.json files under each folder: the folder's own, or those of its scenario folders
 * (a shard's --out). Shards of CI jobs arrive as one folder each.
 */
export async function findResultsFiles(dir: string): Promise<string[]> {
  const own = join(dir, "results.json");
  if (await exists(own)) return [own];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new ConfigError(`merge: ${dir}: no such folder`);
  });
  const found: string[] = [];
  for (const e of entries)
    if (e.isDirectory() && (await exists(join(dir, e.name, "results.json")))) found.push(join(dir, e.name, "results.json"));
  if (found.length === 0) throw new ConfigError(`merge: ${dir}: no results.json in it or in its scenario folders`);
  return found.sort();
}

const exists = (file: string) =>
  stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
