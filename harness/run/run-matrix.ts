import { randomUUID } from "node:crypto";
import { join, resolve } from "node:path";
import pLimit from "p-limit";
import type { Scenario } from "../config/schema.js";
import { type PreparedEnv, prepareEnv } from "../envs/prepare-env.js";
import { ensureUv } from "../envs/uv.js";
import { ConfigError } from "../errors.js";
import { engineGone } from "../machine-errors.js";
import { type Cell, cellId, envKey, envOf, expandCells } from "../plan/cells.js";
import { onlyIds, parseOnly } from "../plan/filter.js";
import { type Shard, shardCells } from "../plan/shard.js";
import { resolveVersions } from "../plan/versions.js";
import { tableChanges } from "../report/changes.js";
import { writeReports } from "../report/write-reports.js";
import { openRuntime, type RuntimeChoice } from "../runtimes/open-runtime.js";
import { appendRecord, clearRecords, readRecords } from "../store/jsonl.js";
import { type CellRecord, cellAxesKey, cellIdentity } from "../store/record.js";
import { mergeCells, RESULTS_SCHEMA_VERSION, type ResultsFile, readResultsFile, splitByMatrix } from "../store/results-file.js";
import { clearRunMarker, markerAlive, type RunMarker, readRunMarker, writeRunMarker } from "../store/run-marker.js";
import { HARNESS_VERSION } from "../version.js";
import { cellKey } from "./cell-key.js";
import type { RunListener } from "./events.js";
import { loadFixtureApps } from "./fixtures.js";
import { installFailedRecord, runCell } from "./run-cell.js";
import { RunStop } from "./run-stop.js";
import { combineTrials } from "./trials.js";

export interface RunOptions {
  scenario: Scenario;
  /** Where cells run: docker, local, or auto (docker when an engine answers). */
  runtime: RuntimeChoice;
  /** matrix.yaml's path, for error messages. */
  configFile?: string;
  /** Reports go to <outDir>/<scenario>/. */
  outDir: string;
  cacheDir: string;
  only?: string;
  /** Run every cell, even those whose recorded result has the same cell key. */
  force?: boolean;
  /** Build again the env layers whose build failed before, instead of reporting the recorded failure. */
  rebuild?: boolean;
  /** Keep the finished cells of a run that was killed before it merged them (results.jsonl). */
  resume?: boolean;
  /** Recorded results older than this many days are run again even when their key matches. */
  maxAgeDays?: number;
  /** `verify --stale`: run only cells last verified more than this many days ago (on any runtime). */
  staleDays?: number;
  /** Run only this slice of the cells (whole envs), for a matrix spread over machines. */
  shard?: Shard;
  concurrency: number;
  /** Docker: a fresh container for every cell, instead of one kept per env that its cells share in turn. */
  containerPerCell?: boolean;
  /**
   * Keep recorded cells that are outside this run's matrix. For runs whose versions are not the
   * file's (--set): their matrix is a few versions, not the table's.
   */
  keepCellsOutsideMatrix?: boolean;
  signal: AbortSignal;
  onEvent: RunListener;
}

/**
 * Plan the cells, build each env once, run cells as their env is ready (bounded parallelism),
 * append each record as it lands, then merge into results.json and render the report.
 * Containers of this run are removed on every way out, Ctrl-C included.
 */
export async function runMatrix(o: RunOptions): Promise<{ results: ResultsFile; records: CellRecord[]; changes: string[] }> {
  const s = o.scenario;
  const started = new Date();
  const t0 = performance.now();
  const runId = randomUUID().slice(0, 8);
  const versions = await resolveVersions(s, { ...(o.configFile ? { file: o.configFile } : {}), signal: o.signal });
  const filter = o.only ? parseOnly(o.only, Object.keys(versions)) : () => true;
  const matrix = expandCells(s, versions);
  const selected = matrix.filter(filter);
  if (selected.length === 0) throw new ConfigError(`--only "${o.only}": matches none of the scenario's cells`);
  const missing = onlyIds(o.only ?? "").filter((id) => !selected.some((c) => cellId(c) === id));
  if (missing.length > 0)
    throw new ConfigError(`--only: no cell of ${s.scenario} has the id ${missing[0]} (a version outside the file needs --set)`);
  const reportDir = join(o.outDir, s.scenario);
  // Read once: what is stale, what may be reused, and what this run's cells merge into.
  const previous = await readResultsFile(join(reportDir, "results.json"));
  const due = o.staleDays === undefined ? selected : staleOnly(selected, previous, o.staleDays);
  // A shard may be empty (more shards than envs), and so may a verify with nothing stale: it then records a run of no cells.
  const cells = o.shard ? shardCells(due, (c) => envKey(envOf(c, s)), o.shard) : due;
  const apps = await loadFixtureApps(s.apps);
  const jsonl = join(reportDir, "results.jsonl");

  const groups = new Map<string, { spec: ReturnType<typeof envOf>; cells: Cell[] }>();
  for (const cell of cells) {
    const spec = envOf(cell, s);
    const key = envKey(spec);
    const g = groups.get(key) ?? { spec, cells: [] };
    g.cells.push(cell);
    groups.set(key, g);
  }
  // Absolute once, here: local servers run with their own working folder, where a relative
  // venv path (the default --cache-dir is .cache) would point nowhere.
  const cacheDir = resolve(o.cacheDir);
  const earlierRun = await readRunMarker(reportDir);
  if (earlierRun && markerAlive(earlierRun))
    throw new ConfigError(
      `${reportDir}: run ${earlierRun.runId} (pid ${earlierRun.pid}) is writing these results now; wait for it or stop it (or remove ${join(reportDir, "run-in-progress.json")} if no such run is alive)`,
    );
  const resumed = await resumable(jsonl, earlierRun, Boolean(o.resume));
  // Ctrl-C, or an engine that stopped answering (the watchdog): either stops every build and cell.
  using stop = new RunStop(o.signal);
  const signal = stop.signal;
  const session = await openRuntime(o.runtime, {
    runId,
    cacheDir,
    signal,
    retryFailedBuilds: Boolean(o.rebuild),
    reuseContainers: !o.containerPerCell,
  });
  const runtime = session.backend.runtime;
  o.onEvent({
    type: "run-started",
    total: cells.length,
    envs: groups.size,
    runId,
    runtime: runtime.name,
    ...(session.note || resumed.note ? { note: [session.note, resumed.note].filter(Boolean).join("\n") } : {}),
  });
  await writeRunMarker(reportDir, { runId, startedAt: started.toISOString(), pid: process.pid });

  await session.reapOrphans();
  const maxAgeDays = o.staleDays ?? o.maxAgeDays;
  const notBefore = maxAgeDays === undefined ? "" : daysAgo(maxAgeDays);
  const reusable = o.force ? new Map<string, CellRecord>() : reusableRecords(previous, notBefore);
  const records: CellRecord[] = [];
  let cellsReused = 0;
  let imagesBuilt = 0;
  let imagesReused = 0;
  let completed = false;
  let changes: string[] = [];
  let dropped: CellRecord[] = [];
  let written: ResultsFile | undefined;
  stop.watch(session);
  try {
    const uv = await ensureUv(cacheDir, signal);
    const ctx = { backend: session.backend, cacheDir, uv, signal };
    // Image builds are CPU-heavy; two at a time overlap downloads with builds on a small machine.
    const envLimit = pLimit(2);
    const cellLimit = pLimit(o.concurrency);
    const record = async (r: CellRecord, reused = false) => {
      // Counted now: records landing together (an env's install failures) must not share a number.
      const done = records.push(r);
      if (reused) cellsReused++;
      else await appendRecord(jsonl, r);
      o.onEvent({ type: "cell-finished", record: r, done, total: cells.length, ...(reused ? { reused } : {}) });
    };
    const allCells = settleAll(
      [...groups.values()].map((g) =>
        envLimit(() => prepareEnv(g.spec, ctx)).then(async (env: PreparedEnv) => {
          if (env.imageBuilt) imagesBuilt++;
          else if (env.ok) imagesReused++;
          // A container kept for the env pays off only when more than one server of it runs.
          const shareable = g.cells.length * s.trials > 1;
          o.onEvent({
            type: "env-ready",
            key: env.key,
            ok: env.ok,
            imageBuilt: env.imageBuilt,
            ...(env.ok ? {} : { reason: env.reason }),
          });
          await settleAll(
            g.cells.map((cell) =>
              cellLimit(async () => {
                signal.throwIfAborted();
                if (!env.ok) return record(installFailedRecord(cell, s, env, runtime));
                const cacheKey = cellKey(cell, s, env, runtime.name, apps, runtime.place);
                const key = `${cellIdentity({ ...cell, runtime: runtime.name })}|${cacheKey}`;
                const earlier = resumed.records.get(key) ?? reusable.get(key);
                if (earlier) return record(earlier, true);
                o.onEvent({ type: "cell-started", cell });
                const trials: CellRecord[] = [];
                for (let trial = 1; trial <= s.trials; trial++)
                  trials.push(await runCell(cell, s, env, runtime, apps, signal, trial, shareable));
                return record({ ...combineTrials(trials), cacheKey });
              }),
            ),
          );
          if (env.ok) await runtime.retire?.(env.image);
        }),
      ),
    );
    // A silent engine ends the run at once: some of its calls take no signal and never settle.
    await stop.until(allCells);
    completed = true;
  } catch (err) {
    // The engine going away mid-run is the machine's state, not a bug: say so in one line.
    const reason = stop.reason(err);
    throw (runtime.name === "docker" ? engineGone(reason) : undefined) ?? reason;
  } finally {
    // With the engine gone this cannot succeed, and must not stop the finished cells being
    // saved below: the next run reaps what is left, by label.
    await session.removeRun().catch(() => undefined);
    // Whatever finished is kept, even when the run was interrupted or failed.
    if (records.length > 0 || completed) {
      const info = {
        startedAt: started.toISOString(),
        wallMs: Math.round(performance.now() - t0),
        cells: records.length,
        cellsReused,
        imagesBuilt,
        imagesReused,
        runtime: runtime.name,
        ...(o.only ? { filter: o.only } : {}),
        ...(o.configFile ? { config: o.configFile } : {}),
        ...(o.shard ? { shard: `${o.shard.index}/${o.shard.count}` } : {}),
        completed,
      };
      ({ written, changes, dropped } = await writeResults(o, reportDir, previous, records, info, matrix));
      // results.json now holds every finished cell: the run is no longer in progress, and the
      // append log can start over (unless it holds a killed run's cells that nobody resumed).
      await clearRunMarker(reportDir);
      if (!earlierRun || o.resume) await clearRecords(jsonl);
      const counts: Record<string, number> = {};
      for (const r of records) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      o.onEvent({ type: "run-finished", info, counts, reportDir, changes, dropped: dropped.map(cellId) });
    }
  }
  return { results: (written ?? previous) as ResultsFile, records, changes };
}

/**
 * Earlier results that may stand in for a new run of the same experiment, by identity and cell
 * key. Timeouts are not reused: they say more about the machine's load then than about the cell;
 * nor are results verified before `notBefore` (--max-age), which are stale by the user's measure.
 */
function reusableRecords(previous: ResultsFile | undefined, notBefore: string): Map<string, CellRecord> {
  const usable = (previous?.cells ?? []).filter((c) => c.cacheKey && c.outcome !== "timeout" && c.startedAt >= notBefore);
  return new Map(usable.map((c) => [`${cellIdentity(c)}|${c.cacheKey}`, c]));
}

/**
 * With --resume: the killed run's finished cells (results.jsonl lines since its marker), by
 * identity and cell key, so they count as done; torn lines are skipped and said. Without it, a
 * killed run is only pointed out.
 */
async function resumable(
  jsonl: string,
  killed: RunMarker | undefined,
  resume: boolean,
): Promise<{ records: Map<string, CellRecord>; note?: string }> {
  if (!killed) return { records: new Map(), ...(resume ? { note: "nothing to resume: the last run finished and merged its cells" } : {}) };
  const { records, skipped } = await readRecords(jsonl);
  const mine = records.filter((r) => r.startedAt >= killed.startedAt && r.cacheKey);
  if (!resume)
    return {
      records: new Map(),
      note: `run ${killed.runId} (started ${killed.startedAt}) was killed before it merged its ${mine.length} finished cells: \`run --resume\` keeps them`,
    };
  const torn = skipped.map((s) => `line ${s.line}: ${s.why}`).join("; ");
  return {
    records: new Map(mine.map((r) => [`${cellIdentity(r)}|${r.cacheKey}`, r])),
    note: `resuming run ${killed.runId} (started ${killed.startedAt}): ${mine.length} finished cells kept${torn ? `; skipped in results.jsonl: ${torn}` : ""}`,
  };
}

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

/** The cells whose newest verification, on any runtime, is older than `days`; a cell never run is not stale, it is new. */
function staleOnly(cells: Cell[], previous: ResultsFile | undefined, days: number): Cell[] {
  const newest = new Map<string, string>();
  for (const c of previous?.cells ?? []) {
    const key = cellAxesKey(c);
    if ((newest.get(key) ?? "") < c.startedAt) newest.set(key, c.startedAt);
  }
  const cutoff = daysAgo(days);
  return cells.filter((c) => {
    const verified = newest.get(cellAxesKey(c));
    return verified !== undefined && verified < cutoff;
  });
}

/** Render the reports again from results.json, e.g. after the report format changed. */
export async function rerenderReport(reportDir: string): Promise<string> {
  const results = await readResultsFile(join(reportDir, "results.json"));
  if (!results) throw new ConfigError(`${join(reportDir, "results.json")}: missing or not a results file; run \`repro-matrix run\` first`);
  await writeReports(reportDir, { ...results, schemaVersion: RESULTS_SCHEMA_VERSION });
  return join(reportDir, "README.md");
}

/**
 * Writes results.json and the report; returns them, what changed in the table since the previous
 * results, and the recorded cells dropped because the matrix no longer holds them.
 */
async function writeResults(
  o: RunOptions,
  reportDir: string,
  previous: ResultsFile | undefined,
  records: CellRecord[],
  run: ResultsFile["runs"][number],
  matrix: Cell[],
): Promise<{ written: ResultsFile; changes: string[]; dropped: CellRecord[] }> {
  const s = o.scenario;
  const merged = mergeCells(previous?.cells ?? [], records);
  const { kept, outside } = o.keepCellsOutsideMatrix ? { kept: merged, outside: [] } : splitByMatrix(merged, matrix);
  const results: ResultsFile = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    scenario: s.scenario,
    ...(s.description ? { description: s.description } : {}),
    ...(s.claim ? { claim: { ...s.claim, signature: s.claim.signature ?? (s.signatures[0] as string) } } : {}),
    harnessVersion: HARNESS_VERSION,
    lastVerified: records.length > 0 ? run.startedAt.slice(0, 10) : (previous?.lastVerified ?? run.startedAt.slice(0, 10)),
    cells: kept,
    runs: [...(previous?.runs ?? []), run],
  };
  const written = await writeReports(reportDir, results);
  return { written, changes: tableChanges(previous, results), dropped: outside };
}

/** Like Promise.all, but waits for every task to settle first, so nothing still runs during cleanup. */
async function settleAll<T>(tasks: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(tasks);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
