import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { writeReports } from "../report/write-reports.js";
import { findResultsFiles, mergeResults } from "../store/merge.js";
import { type ResultsFile, readResultsFile } from "../store/results-file.js";

/** Merge the shards in `dirs` into <outDir>/<scenario>/results.json and README.md, one per scenario. */
export async function mergeDirs(dirs: string[], outDir: string): Promise<string[]> {
  const files = (await Promise.all(dirs.map(findResultsFiles))).flat();
  const byScenario = new Map<string, { file: string; results: ResultsFile }[]>();
  for (const file of files) {
    const results = await readResultsFile(file);
    if (!results) throw new ConfigError(`merge: ${file}: not a results file of this harness`);
    byScenario.set(results.scenario, [...(byScenario.get(results.scenario) ?? []), { file, results }]);
  }
  const written: string[] = [];
  for (const [scenario, parts] of byScenario) {
    const merged = mergeResults(parts);
    const dir = join(outDir, scenario);
    await writeReports(dir, merged);
    written.push(dir);
  }
  return written;
}
