import { join } from "node:path";
import { ConfigError } from "../core/errors.js";
import { writeAtomic } from "../core/json-file.js";
import { HARNESS_VERSION } from "../core/version.js";
import { pageUpdate, readPage } from "../pages/page-file.js";
import type { Shard } from "../plan/shard.js";
import type { RunListener } from "../report/events.js";
import { runMatrix } from "../run/run-matrix.js";
import type { RuntimeChoice } from "../runtimes/registry.js";
import { RESULTS_SCHEMA_VERSION, type ResultsFile, readResultsFile } from "../store/results-file.js";
import { type Catalog, type CatalogEntry, loadCatalog } from "./catalog.js";
import { writeCatalogIndex } from "./catalog-index.js";
import { mergeShards, writeShardMarker } from "./merge-night.js";
import { changed, diffNight } from "./night-diff.js";
import type { NightSummary, NotRun, PageNight, ScenarioNight } from "./types.js";

export interface NightOptions {
  /** scenarios/catalog.yaml: every scenario, and the folder of the fix pages they keep current. */
  catalogFile: string;
  /** Reports go to <outDir>/<scenario>/, the catalog index to <outDir>/README.md and index.html. */
  outDir: string;
  cacheDir: string;
  runtime: RuntimeChoice;
  concurrency: number;
  /** Results verified longer ago than this are run again, so their dates move (run's --max-age). */
  maxAgeDays: number;
  /** Only these scenarios, by name (the catalog index still lists them all). */
  scenarios?: string[];
  /** CI: run one slice of each scenario's cells; the merge updates pages and the index. */
  shard?: Shard;
  /** CI: run no cells, merge the shards' results found under `dir` (one folder per shard). */
  merge?: { dir: string; shardCount: number };
  /** Run no cells: bring the pages and the catalog index up to date with the results as they are. */
  noRun?: boolean;
  containerPerCell?: boolean;
  signal: AbortSignal;
  onEvent: RunListener;
  /** One line per scenario as the night reaches it. */
  say?: (line: string) => void;
}

/**
 * A night: for every scenario of the catalog, new releases of its ranges are found and new,
 * changed and stale cells run (or, in CI, one shard of them; or the shards are merged); then each
 * fix page is brought up to date, the catalog index rewritten, and what changed summed up. Every
 * file is checked before anything runs; scenarios run one after another, so Ctrl-C stops the night
 * with each finished scenario's results kept.
 */
export async function runNightly(o: NightOptions): Promise<NightSummary> {
  const date = new Date().toISOString().slice(0, 10);
  const catalog = await loadCatalog(o.catalogFile);
  const mode = o.merge ? "merge" : o.shard ? "shard" : o.noRun ? "no-run" : "local";
  const nights: ScenarioNight[] = [];
  const results = new Map<string, ResultsFile | undefined>();
  for (const entry of selected(catalog, o.scenarios)) {
    o.signal.throwIfAborted();
    const name = entry.scenario.scenario;
    const reportDir = join(o.outDir, name);
    o.say?.(`night: ${name} (${entry.file})`);
    const before = await readResultsFile(join(reportDir, "results.json"));
    const { after, notRun } = await scenarioNight(o, entry, before, reportDir);
    results.set(name, after);
    // A scenario new tonight whose every shard failed has no results at all: it is still named,
    // with every cell not run, never left out of the summary.
    const shown = after ?? (notRun ? noResults(name, date) : undefined);
    if (!shown) continue;
    const night: ScenarioNight = { ...diffNight(before, shown, { file: entry.file, reportDir }), ...(notRun ? { notRun } : {}) };
    // A shard holds a slice of the cells: its pages would be wrong; the merge writes them.
    if (entry.page && after && mode !== "shard") night.page = await keepPage(entry.page, after);
    nights.push(night);
  }
  if (mode !== "shard") {
    for (const e of catalog.entries)
      if (!results.has(e.scenario.scenario))
        results.set(e.scenario.scenario, await readResultsFile(join(o.outDir, e.scenario.scenario, "results.json")));
    await writeCatalogIndex(o.outDir, catalog, results);
  }
  return { date, mode, scenarios: nights, changed: mode !== "shard" && nights.some(changed) };
}

/** Results with no cell, for a scenario that has none yet (not written anywhere). */
const noResults = (scenario: string, date: string): ResultsFile => ({
  schemaVersion: RESULTS_SCHEMA_VERSION,
  scenario,
  harnessVersion: HARNESS_VERSION,
  lastVerified: date,
  runs: [],
  cells: [],
});

function selected(catalog: Catalog, names: string[] | undefined): CatalogEntry[] {
  if (!names) return catalog.entries;
  const known = catalog.entries.map((e) => e.scenario.scenario);
  const unknown = names.find((n) => !known.includes(n));
  if (unknown) throw new ConfigError(`--scenario: "${unknown}" is not a scenario of ${catalog.file} (${known.join(", ")})`);
  return catalog.entries.filter((e) => names.includes(e.scenario.scenario));
}

/** The scenario's results after tonight: run here, merged from shards, or as they are. */
async function scenarioNight(
  o: NightOptions,
  entry: CatalogEntry,
  before: ResultsFile | undefined,
  reportDir: string,
): Promise<{ after: ResultsFile | undefined; notRun?: NotRun }> {
  if (o.merge)
    return mergeShards({
      scenario: entry.scenario,
      file: entry.file,
      before,
      dir: o.merge.dir,
      shardCount: o.merge.shardCount,
      reportDir,
      signal: o.signal,
    });
  if (o.noRun) return { after: before };
  const startedAt = new Date().toISOString();
  const { results } = await runMatrix({
    scenario: entry.scenario,
    runtime: o.runtime,
    configFile: entry.file,
    outDir: o.outDir,
    cacheDir: o.cacheDir,
    concurrency: o.concurrency,
    maxAgeDays: o.maxAgeDays,
    ...(o.shard ? { shard: o.shard } : {}),
    ...(o.containerPerCell ? { containerPerCell: true } : {}),
    signal: o.signal,
    onEvent: o.onEvent,
  });
  // Reached only when the run completed (an interrupted or failed one throws): the merge's sign.
  if (o.shard)
    await writeShardMarker(reportDir, { scenario: entry.scenario.scenario, shard: `${o.shard.index}/${o.shard.count}`, startedAt });
  return { after: results };
}

/** The page's measured fields from the results, written only when one changed. */
async function keepPage(file: string, results: ResultsFile): Promise<PageNight> {
  const update = pageUpdate(await readPage(file), results, file);
  if ("skipped" in update) return { file, skipped: update.skipped };
  if (update.changes.length > 0) await writeAtomic(file, update.text);
  return { file, changes: update.changes };
}
