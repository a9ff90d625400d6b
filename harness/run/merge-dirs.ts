import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { writeReports } from "../report/write-reports.js";
import { lockFolder } from "../store/folder-lock.js";
import { findResultsFiles, mergeResults } from "../store/merge.js";
import { type ResultsFile, readResultsFile } from "../store/results-file.js";

export interface MergeOptions {
  /** Another process is writing a destination folder: stop at once (exit 2) instead of waiting. */
  noWait?: boolean;
  signal?: AbortSignal;
  say?: (line: string) => void;
}

/** Merge the shards in `dirs` into <outDir>/<scenario>/results.json and README.md, one per scenario. */
export async function mergeDirs(dirs: string[], outDir: string, o: MergeOptions = {}): Promise<string[]> {
  const files = (await Promise.all(dirs.map(findResultsFiles))).flat();
  const byScenario = new Map<string, { file: string; results: ResultsFile }[]>();
  for (const file of files) {
    // A damaged shard stops the merge with its file and first bad field (ConfigError).
    const results = await readResultsFile(file);
    if (!results) throw new ConfigError(`merge: ${file}: no such file`);
    byScenario.set(results.scenario, [...(byScenario.get(results.scenario) ?? []), { file, results }]);
  }
  const written: string[] = [];
  for (const [scenario, parts] of byScenario) {
    const merged = mergeResults(parts);
    const dir = join(outDir, scenario);
    // One writer at a time, as for a run: a run into this folder meanwhile would lose its cells or these.
    await using _lock = await lockFolder(dir, {
      command: "merge",
      wait: !o.noWait,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.say ? { onWait: o.say } : {}),
    });
    await writeReports(dir, merged);
    written.push(dir);
  }
  return written;
}
