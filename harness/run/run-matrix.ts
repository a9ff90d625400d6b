import { stat } from "node:fs/promises";
import { join } from "node:path";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { type AxisVersions, type Cell, cellId, type EnvSpec, envKey, envOf } from "../cell/cell.js";
import { type CellRecord, cellAxesKey, cellIdentity } from "../cell/record.js";
import { tableChanges } from "../claims/changes.js";
import type { Scenario } from "../config/schema.js";
import { ConfigError, EngineUnresponsiveError } from "../core/errors.js";
import { stableJson } from "../core/hash.js";
import { HARNESS_VERSION } from "../core/version.js";
import { type PreparedEnv, prepareEnv, warmEnv } from "../envs/prepare-env.js";
import { expandCells } from "../plan/expand.js";
import { onlyIds, parseOnly } from "../plan/filter.js";
import { type Shard, shardCells } from "../plan/shard.js";
import { resolveVersions } from "../releases/versions.js";
import type { RunListener } from "../report/events.js";
import { writeReports } from "../report/write-reports.js";
import type { RuntimeChoice } from "../runtimes/registry.js";
import type { PlacedFile } from "../runtimes/runtime.js";
import { type FolderLock, lockFolder } from "../store/folder-lock.js";
import { appendRecord, clearRecords, readRecords } from "../store/jsonl.js";
import {
  mergeCells,
  RESULTS_SCHEMA_VERSION,
  type ResultsFile,
  type RunInfo,
  readResultsFile,
  splitByMatrix,
} from "../store/results-file.js";
import { clearRunMarker, type RunMarker, readRunMarker, writeRunMarker } from "../store/run-marker.js";
import { cellKey } from "./cell-key.js";
import { loadApps } from "./fixtures.js";
import { choosePythons, eraCellOf, type PythonsOfRun } from "./python-plan.js";
import { installFailedRecord, runCell } from "./run-cell.js";
import { RunSession } from "./session.js";
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
  /** A results.json that does not parse or fails the schema: keep its valid cells (the file is copied aside) instead of stopping. */
  repair?: boolean;
  /** Another run is writing the same results: stop at once (exit 2) instead of waiting for it. */
  noWait?: boolean;
  signal: AbortSignal;
  onEvent: RunListener;
}

/** The scenario's cells and this run's selection, from the index alone: no file of the report folder read yet. */
interface Selection {
  versions: AxisVersions;
  /** Every combination of the axes on every listed Python, before the releases ruled any out. */
  all: Cell[];
  /** --only's test of a cell. */
  filter: (c: Cell) => boolean;
  reportDir: string;
}

/** The run's cells, planned before anything starts, and what it merges into. */
interface RunPlan extends Selection {
  scenario: Scenario;
  previous: ResultsFile | undefined;
  /**
   * The earlier install-failed cells, by identity, that this run may keep as they are when their
   * env fails the same way again (not with --force or --rebuild, nor past --max-age / --stale).
   */
  recordedFailures: Map<string, CellRecord>;
  apps: PlacedFile[];
}

/** The plan once the Pythons are chosen; its matrix and cells grow pass by pass (era's fallbacks). */
interface PlannedRun extends RunPlan {
  pythons: PythonsOfRun;
  /** Every cell of the scenario: results.json keeps only these. */
  matrix: Cell[];
  /** This run's cells (after --only, --stale and --shard). */
  cells: Cell[];
  /** The pass about to run. */
  pass: Cell[];
}

type EnvGroup = { spec: EnvSpec; cells: Cell[] };

/** What a run counts as its cells land, for the run's entry in results.json and its summary. */
class Tally {
  readonly records: CellRecord[] = [];
  /** This run's records by their cell's axes: what the era's next Python is decided on. */
  readonly byAxes = new Map<string, CellRecord>();
  readonly envBuilds: NonNullable<RunInfo["envBuilds"]> = [];
  cellsReused = 0;
  imagesBuilt = 0;
  imagesReused = 0;
  /** Cells in a row, as they landed, whose server the runtime never started (neverStarted). */
  unstarted = 0;
}

/**
 * Cells in a row whose server the runtime did not start within the cell's whole deadline, after
 * which the run stops. Starting a server takes a second (an exec in a kept container, or a
 * container); a start that takes minutes is the runtime stuck, not the app: once, dockerd
 * 20.10.24 went on answering pings, so the watchdog saw nothing, while every exec and container
 * start hung, and each of a sweep's remaining cells would have waited out its deadline in turn.
 */
const UNSTARTED_LIMIT = 3;

/** A cell that timed out before its server had started: no start phase was measured. */
const neverStarted = (r: CellRecord) => r.outcome === "timeout" && r.phasesMs !== undefined && r.phasesMs.start === undefined;

/**
 * Plan the cells, build each env once, run cells as their env is ready (bounded parallelism),
 * append each record as it lands, then merge into results.json and render the report.
 * Containers of this run are removed on every way out, Ctrl-C included.
 */
export async function runMatrix(o: RunOptions): Promise<{ results: ResultsFile; records: CellRecord[]; changes: string[] }> {
  const started = new Date();
  const t0 = performance.now();
  const selection = await selectCells(o);
  // Held from before results.json is read until the merged results are written: a second run
  // into the same folder waits, then merges into what this one wrote.
  await using lock = await lockFolder(selection.reportDir, {
    command: "run",
    wait: !o.noWait,
    signal: o.signal,
    onWait: (text) => o.onEvent({ type: "note", text }),
  });
  const plan = await planRun(o, selection);
  const jsonl = join(plan.reportDir, "results.jsonl");
  // The lock is ours, so a marker left in the folder is a killed run's, never a live one's.
  const earlierRun = await readRunMarker(plan.reportDir);
  const resumed = await resumable(jsonl, earlierRun, Boolean(o.resume));
  await using session = await RunSession.open(o);
  const planned = await withPythons(plan, session, o);
  const first = shareOf(planned, planned.pass, o);
  const note = [session.note, planned.pythons.note, resumed.note].filter(Boolean).join("\n");
  o.onEvent({
    type: "run-started",
    total: first.length,
    envs: groupByEnv(first, plan.scenario).length,
    runId: session.runId,
    runtime: session.runtime.name,
    ...(note ? { note } : {}),
  });
  // A killed run's marker stays until its cells are merged (--resume): it is what finds them.
  if (!earlierRun) await writeRunMarker(plan.reportDir, { runId: session.runId, startedAt: started.toISOString(), pid: process.pid });
  const maxAgeDays = o.staleDays ?? o.maxAgeDays;
  const reusable = o.force
    ? new Map<string, CellRecord>()
    : reusableRecords(plan.previous, maxAgeDays === undefined ? "" : daysAgo(maxAgeDays));
  const earlier = (key: string) => resumed.records.get(key) ?? reusable.get(key);
  const tally = new Tally();
  let completed = false;
  let outcome: { written?: ResultsFile; changes: string[] } = { changes: [] };
  try {
    // A silent engine ends the run at once: some of its calls take no signal and never settle.
    await session.until(runPasses(planned, session, tally, earlier, o, jsonl));
    completed = true;
  } catch (err) {
    // The engine going away mid-run is the machine's state, not a bug: say so in one line.
    throw session.failure(err);
  } finally {
    await session.close();
    // Whatever finished is kept, even when the run was interrupted or failed.
    if (tally.records.length > 0 || completed) {
      const info = runInfo(o, session.runtime.name, started, t0, tally, completed);
      outcome = await finishRun(o, planned, tally, info, { earlierRun, jsonl, lock });
    } else if (!earlierRun) await clearRunMarker(plan.reportDir);
  }
  return { results: (outcome.written ?? plan.previous) as ResultsFile, records: tally.records, changes: outcome.changes };
}

/** Versions from the index, the cells they make, and --only's test of them: a typo fails here, before any runtime opens. */
async function selectCells(o: RunOptions): Promise<Selection> {
  const s = o.scenario;
  const versions = await resolveVersions(s, { ...(o.configFile ? { file: o.configFile } : {}), signal: o.signal });
  const filter = o.only ? parseOnly(o.only, Object.keys(versions)) : () => true;
  const all = expandCells(s, versions);
  const selected = all.filter(filter);
  if (selected.length === 0) throw new ConfigError(`--only "${o.only}": matches none of the scenario's cells`);
  const missing = onlyIds(o.only ?? "").filter((id) => !selected.some((c) => cellId(c) === id));
  if (missing.length > 0)
    throw new ConfigError(`--only: no cell of ${s.scenario} has the id ${missing[0]} (a version outside the file needs --set)`);
  return { versions, all, filter, reportDir: join(o.outDir, s.scenario) };
}

/** The earlier results, the install failures this run may keep as they are, and the fixture apps. */
async function planRun(o: RunOptions, selection: Selection): Promise<RunPlan> {
  const s = o.scenario;
  // Read once: what is stale, what may be reused, and what this run's cells merge into.
  const previous = await readResultsFile(join(selection.reportDir, "results.json"), {
    ...(o.repair ? { repair: true } : {}),
    onRepair: (text) => o.onEvent({ type: "note", text }),
  });
  const maxAgeDays = o.staleDays ?? o.maxAgeDays;
  const recordedFailures =
    o.force || o.rebuild ? new Map<string, CellRecord>() : installFailures(previous, maxAgeDays === undefined ? "" : daysAgo(maxAgeDays));
  const apps = await loadApps(s);
  return { ...selection, scenario: s, previous, recordedFailures, apps };
}

/** The plan with its Pythons chosen (the runtime is open: era's candidates are the interpreters it has) and its first pass. */
async function withPythons(plan: RunPlan, session: RunSession, o: RunOptions): Promise<PlannedRun> {
  const pythons = await choosePythons(plan.scenario, plan.versions, plan.all, session, o.configFile);
  return { ...plan, pythons, matrix: [], cells: [], pass: pythons.passes.first() };
}

/** This run's share of a pass: --only, --stale, then --shard (whole envs, by the env of each release's era cell). */
function shareOf(plan: PlannedRun, pass: Cell[], o: RunOptions): Cell[] {
  const s = plan.scenario;
  const selected = pass.filter(plan.filter);
  // A shard may be empty (more shards than envs), and so may a verify with nothing stale.
  const due = o.staleDays === undefined ? selected : staleOnly(selected, plan.previous, o.staleDays);
  return o.shard ? shardCells(due, (c) => envKey(envOf(eraCellOf(c, plan.pythons.choice), s)), o.shard) : due;
}

function groupByEnv(cells: Cell[], s: Scenario): EnvGroup[] {
  const groups = new Map<string, EnvGroup>();
  for (const cell of cells) {
    const spec = envOf(cell, s);
    const g = groups.get(envKey(spec)) ?? { spec, cells: [] };
    g.cells.push(cell);
    groups.set(envKey(spec), g);
  }
  return [...groups.values()];
}

/** What every pass of a run shares: the bounds on builds and cells, and where records go. */
interface RunContext {
  session: RunSession;
  tally: Tally;
  earlier: (key: string) => CellRecord | undefined;
  o: RunOptions;
  jsonl: string;
  /**
   * Image builds two at a time (CPU-heavy; two overlap downloads with builds on a small machine),
   * cells `concurrency` at a time, over the whole run: a later pass's work goes first.
   */
  envs: PQueue;
  cells: PQueue;
}

/**
 * The run pass by pass: every cell of the first, then (era) the cells of each release that no
 * cell could test on its Python, on its next one, as long as there are any. A release moves on
 * as soon as its own cells are known, not when the whole pass is: the full sweep's 12 releases
 * that no Python can test waited for its 740 first cells, then for each other's builds, Python
 * by Python (11 of its 44 minutes).
 */
async function runPasses(
  plan: PlannedRun,
  session: RunSession,
  tally: Tally,
  earlier: (key: string) => CellRecord | undefined,
  o: RunOptions,
  jsonl: string,
): Promise<void> {
  const run: RunContext = {
    session,
    tally,
    earlier,
    o,
    jsonl,
    envs: new PQueue({ concurrency: 2 }),
    cells: new PQueue({ concurrency: o.concurrency }),
  };
  const share = new Set<string>();
  const outcomeOf = knownOutcome(plan, tally, session.runtime.name, share);
  const runPass = async (pass: Cell[], depth: number): Promise<void> => {
    if (pass.length === 0) return;
    plan.matrix.push(...pass);
    const cells = shareOf(plan, pass, o);
    plan.cells.push(...cells);
    for (const c of cells) share.add(cellAxesKey(c));
    await runGroups(plan, groupByEnv(cells, plan.scenario), run, depth, () => runPass(plan.pythons.passes.next(outcomeOf), depth + 1));
  };
  await runPass(plan.pass, 0);
}

/**
 * A cell's outcome as the run knows it: this run's, else the recorded one (this runtime's first).
 * A cell this run is to run has none until it has run: a recorded outcome of it is an older
 * experiment, and the next Python is decided on this one.
 */
function knownOutcome(plan: PlannedRun, tally: Tally, runtime: string, share: Set<string>): (c: Cell) => CellRecord["outcome"] | undefined {
  const recorded = new Map<string, CellRecord>();
  for (const r of [...(plan.previous?.cells ?? [])].sort((a, b) => Number(a.runtime === runtime) - Number(b.runtime === runtime)))
    recorded.set(cellAxesKey(r), r);
  return (c) => {
    const key = cellAxesKey(c);
    const mine = tally.byAxes.get(key);
    if (mine) return mine.outcome;
    return share.has(key) ? undefined : recorded.get(key)?.outcome;
  };
}

/**
 * Every env of a pass, built in the run's queue, and each env's cells as soon as it is ready;
 * `depth` is the pass's (later passes go first), `afterEnv` what follows each env's last cell.
 */
async function runGroups(
  plan: PlannedRun,
  groups: EnvGroup[],
  run: RunContext,
  depth: number,
  afterEnv: () => Promise<void>,
): Promise<void> {
  const { session, tally, earlier, o, jsonl } = run;
  const s = plan.scenario;
  const { runtime, signal } = session;
  const ctx = await session.envContext();
  const record = async (r: CellRecord, reused = false) => {
    // Counted now: records landing together (an env's install failures) must not share a number.
    const done = tally.records.push(r);
    tally.byAxes.set(cellAxesKey(r), r);
    if (reused) tally.cellsReused++;
    else await appendRecord(jsonl, r);
    o.onEvent({ type: "cell-finished", record: r, done, total: plan.cells.length, ...(reused ? { reused } : {}) });
    if (reused || r.phasesMs === undefined) return;
    tally.unstarted = neverStarted(r) ? tally.unstarted + 1 : 0;
    if (tally.unstarted === UNSTARTED_LIMIT) session.giveUp(runtimeStuck(runtime.name, UNSTARTED_LIMIT, s.timeouts.cellSeconds));
  };
  const runEnv = async (g: EnvGroup, env: PreparedEnv) => {
    if (env.imageBuilt) tally.imagesBuilt++;
    else if (env.ok) tally.imagesReused++;
    o.onEvent({ type: "env-ready", key: env.key, ok: env.ok, imageBuilt: env.imageBuilt, ...(env.ok ? {} : { reason: env.reason }) });
    // A container kept for the env pays off only when more than one server of it runs.
    const shareable = g.cells.length * s.trials > 1;
    const oneCell = async (cell: Cell) => {
      signal.throwIfAborted();
      if (!env.ok) {
        const failed = installFailedRecord(cell, s, env, runtime);
        // The same recorded failure again is no new verification: the record and its date stay.
        const before = plan.recordedFailures.get(cellIdentity(failed));
        return before && sameFailure(before, failed) ? record(before, true) : record(failed);
      }
      const cacheKey = cellKey({ cell, scenario: s, env, runtime, code: session.experimentCode, apps: plan.apps });
      const found = earlier(`${cellIdentity({ ...cell, runtime: runtime.name })}|${cacheKey}`);
      if (found) return record(found, true);
      // Only a cell that starts a server waits for a turn: an install failure or a reused record
      // lands at once, so the next Python of a release that cannot install is not held up behind
      // another release's servers.
      return run.cells.add(
        async () => {
          signal.throwIfAborted();
          o.onEvent({ type: "cell-started", cell });
          const trials: CellRecord[] = [];
          for (let trial = 1; trial <= s.trials; trial++)
            trials.push(await runCell({ cell, scenario: s, env, runtime, apps: plan.apps, signal, trial, shareable }));
          return record({ ...combineTrials(trials), cacheKey });
        },
        { priority: depth },
      );
    };
    await settleAll(g.cells.map(oneCell));
    if (env.ok) await runtime.retire?.(env.image);
  };
  // Envs are warmed ahead of their builds, a few at a time: their locks and downloads wait on the
  // index, not the CPU, and would otherwise hold up one of the two builds each time.
  const warmLimit = pLimit(4);
  let built = false;
  const warming = groups.map((g) => warmLimit(async () => (built ? undefined : warmEnv(g.spec, ctx))).catch(() => undefined));
  const prepare = async (spec: EnvSpec) => {
    o.onEvent({ type: "env-started", key: envKey(spec), spec });
    const t0 = performance.now();
    const env = await prepareEnv(spec, ctx);
    // Built now, not reused: what building an env costs on this machine.
    if (env.imageBuilt)
      tally.envBuilds.push({
        env: env.key,
        ms: Math.round(performance.now() - t0),
        ok: env.ok,
        ...(env.ok && env.compiled ? { compiled: true } : {}),
      });
    return env;
  };
  try {
    await settleAll(
      groups.map((g) =>
        run.envs
          .add(() => prepare(g.spec), { priority: depth })
          .then((env) => runEnv(g, env))
          .then(afterEnv),
      ),
    );
  } finally {
    // Warm-ups still queued have nothing left to warm; those running end with the run's signal.
    built = true;
    await Promise.all(warming);
  }
}

/** Why a run whose runtime starts no more servers stopped: one line, with what to do. */
function runtimeStuck(runtime: string, cells: number, cellSeconds: number): EngineUnresponsiveError {
  return new EngineUnresponsiveError(
    `the ${runtime} runtime started no server for ${cells} cells in a row, each of which waited out its ${cellSeconds} s deadline (an engine that answers but starts no container or exec): the cells that finished are saved; check it (\`docker run --rm <image> true\`), restart it if it hangs, and run again (finished cells are reused)`,
  );
}

/** The install-failed cells of the earlier results verified since `notBefore`, by identity. */
const installFailures = (previous: ResultsFile | undefined, notBefore: string) =>
  new Map(
    (previous?.cells ?? []).filter((c) => c.outcome === "install-failed" && c.startedAt >= notBefore).map((c) => [cellIdentity(c), c]),
  );

/** Two records of one failure: equal in everything but when they were made. */
function sameFailure(a: CellRecord, b: CellRecord): boolean {
  const timeless = ({ startedAt: _s, durationMs: _d, ...rest }: CellRecord) => stableJson(rest);
  return timeless(a) === timeless(b);
}

function runInfo(o: RunOptions, runtime: string, started: Date, t0: number, tally: Tally, completed: boolean): ResultsFile["runs"][number] {
  return {
    startedAt: started.toISOString(),
    wallMs: Math.round(performance.now() - t0),
    cells: tally.records.length,
    cellsReused: tally.cellsReused,
    imagesBuilt: tally.imagesBuilt,
    imagesReused: tally.imagesReused,
    runtime,
    ...(o.only ? { filter: o.only } : {}),
    ...(o.configFile ? { config: o.configFile } : {}),
    ...(o.shard ? { shard: `${o.shard.index}/${o.shard.count}` } : {}),
    completed,
    ...(tally.envBuilds.length > 0 ? { envBuilds: tally.envBuilds } : {}),
  };
}

/** Merge the run's cells into results.json, render the reports, and end the run's marker and append log. */
async function finishRun(
  o: RunOptions,
  plan: PlannedRun,
  tally: Tally,
  info: ResultsFile["runs"][number],
  log: { earlierRun: RunMarker | undefined; jsonl: string; lock: FolderLock },
): Promise<{ written: ResultsFile; changes: string[] }> {
  log.lock.assertHeld();
  const { written, changes, dropped } = await writeResults(o, plan, tally.records, info);
  // results.json now holds every finished cell: the run is no longer in progress, and the
  // append log can start over (unless it holds a killed run's cells that nobody resumed: then
  // the killed run's marker stays too, so that a later --resume still finds them).
  if (!log.earlierRun || o.resume) {
    await clearRunMarker(plan.reportDir);
    await clearRecords(log.jsonl);
  }
  const counts: Record<string, number> = {};
  for (const r of tally.records) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  o.onEvent({ type: "run-finished", info, counts, reportDir: plan.reportDir, changes, dropped: dropped.map(cellId) });
  return { written, changes };
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
export async function rerenderReport(
  reportDir: string,
  o: { repair?: boolean; noWait?: boolean; signal?: AbortSignal; say?: (line: string) => void } = {},
): Promise<string> {
  const file = join(reportDir, "results.json");
  // Before the folder is locked (which creates it): a missing report is a usage error that writes nothing.
  if (!(await stat(file).catch(() => undefined))) throw new ConfigError(`${file}: no such file; run \`repro-matrix run\` first`);
  await using _lock = await lockFolder(reportDir, {
    command: "report",
    wait: !o.noWait,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.say ? { onWait: o.say } : {}),
  });
  const results = await readResultsFile(file, { ...(o.repair ? { repair: true } : {}), ...(o.say ? { onRepair: o.say } : {}) });
  if (!results) throw new ConfigError(`${file}: no such file; run \`repro-matrix run\` first`);
  await writeReports(reportDir, { ...results, schemaVersion: RESULTS_SCHEMA_VERSION });
  return join(reportDir, "README.md");
}

/**
 * Writes results.json and the report; returns them, what changed in the table since the previous
 * results, and the recorded cells dropped because the matrix no longer holds them.
 */
async function writeResults(
  o: RunOptions,
  plan: PlannedRun,
  records: CellRecord[],
  run: ResultsFile["runs"][number],
): Promise<{ written: ResultsFile; changes: string[]; dropped: CellRecord[] }> {
  const s = o.scenario;
  const { reportDir, previous, matrix, pythons } = plan;
  // Cells verified anew: not already in the results as they are (reused ones are, to the byte).
  const known = new Set((previous?.cells ?? []).map((c) => `${cellIdentity(c)}|${c.startedAt}`));
  const verified = records.filter((r) => !known.has(`${cellIdentity(r)}|${r.startedAt}`)).length;
  const merged = mergeCells(previous?.cells ?? [], records);
  // Cells on a listed Python this machine lacks are out of its reach, not out of the scenario: kept.
  const reach = [...matrix, ...merged.filter((c) => pythons.unavailable.includes(c.python))];
  const { kept, outside } = o.keepCellsOutsideMatrix ? { kept: merged, outside: [] } : splitByMatrix(merged, reach);
  const results: ResultsFile = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    scenario: s.scenario,
    ...(s.description ? { description: s.description } : {}),
    ...(s.claim ? { claim: { ...s.claim, signature: s.claim.signature ?? (s.signatures[0] as string) } } : {}),
    harnessVersion: HARNESS_VERSION,
    lastVerified: verified > 0 || !previous ? run.startedAt.slice(0, 10) : previous.lastVerified,
    ...(s.pythonPolicy === "era" ? { pythonPolicy: "era" as const } : {}),
    ...(Object.keys(pythons.era).length > 0 ? { eraPython: pythons.era } : {}),
    ...(pythons.notApplicable.length > 0 ? { notApplicable: pythons.notApplicable } : {}),
    cells: kept,
    // `runs` lists the runs that verified cells: one that only reused recorded results (a nightly
    // run with nothing new) adds no entry, so results.json stays byte for byte as it was.
    runs: verified > 0 || !previous ? [...(previous?.runs ?? []), run] : previous.runs,
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
