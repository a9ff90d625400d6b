import type { Cell } from "../cell/cell.js";
import type { BootProfile, CellRecord, CheckResult, Evidence, ServerLimits } from "../cell/record.js";
import { type CheckFacts, judgeChecks, needsWorkerSample, scenarioChecks, signatureFired, watchLines } from "../classify/checks.js";
import { classify } from "../classify/classify.js";
import { CONFIG_DIR, configFileArg } from "../config/gunicorn-args.js";
import type { Check, Scenario } from "../config/schema.js";
import { compileSignature } from "../config/signature.js";
import { HARNESS_VERSION } from "../core/version.js";
import type { Lock } from "../envs/lock.js";
import type { PreparedEnv } from "../envs/prepare-env.js";
import { type LineWatch, LogCollector } from "../evidence/log-collector.js";
import { mergeSummaries } from "../probe/merge.js";
import { type ProbeSummary, probeServer } from "../probe/probe.js";
import { type BootGaveUp, type Readiness, waitForReady } from "../probe/readiness.js";
import {
  NOMINAL_PLACE,
  type PlacedFile,
  type Runtime,
  type ServerExit,
  type ServerPlace,
  type ServerProcess,
  type StartedServer,
} from "../runtimes/runtime.js";
import { appLayout, appOf } from "./fixtures.js";
import { runSteps, type StepRun, stepPhase } from "./steps.js";

/** Silence after a traceback per worker, with no HTTP answer, that counts as a stalled boot. */
const STALL_MS = 10_000;

/** Milliseconds per phase of a cell, each measured from the end of the one before. */
class PhaseClock {
  private last = performance.now();
  private readonly spent: Record<string, number> = {};

  end(phase: "start" | "boot" | "probe" | "stop" | "teardown"): void {
    const now = performance.now();
    this.spent[phase] = Math.round(now - this.last);
    this.last = now;
  }

  done(): Record<string, number> {
    return { ...this.spent };
  }
}

/**
 * The scenario's Gunicorn arguments for a server at `place`: a config file named relative to the
 * scenario is read from where it was placed (_config/ in the app folder), on either runtime.
 */
function serverArgs(args: readonly string[], place: ServerPlace): string[] {
  const config = configFileArg(args);
  if (!config) return [...args];
  const out = [...args];
  out[config.index] = `${config.prefix}${place.appDir}/${CONFIG_DIR}/${config.path}`;
  return out;
}

/**
 * The server's command. Gunicorn loads the app's entry module (fixtures.ts), which imports the
 * app's module as Gunicorn would and wraps its app so that every answer names its worker; an own
 * app runs in its own folder. The scenario's arguments come after the harness's defaults, so
 * that they may change them (--graceful-timeout, --timeout), but never the options it owns.
 */
export function gunicornCommand(cell: Cell, s: Scenario, place: ServerPlace = NOMINAL_PLACE): string[] {
  const app = appLayout(appOf(s, cell.app));
  return [
    `${place.venv}/bin/gunicorn`,
    ...["--workers", String(cell.workers), "--worker-class", cell.workerClass],
    ...["--bind", place.bind, "--chdir", app.dir ? `${place.appDir}/${app.dir}` : place.appDir, "--worker-tmp-dir", "/tmp"],
    ...["--graceful-timeout", String(s.timeouts.stopSeconds), "--timeout", "30"],
    ...(cell.preload ? ["--preload"] : []),
    ...serverArgs(cell.gunicornArgs ?? [], place),
    `${app.entry}:app`,
  ];
}

const baseRecord = (cell: Cell, s: Scenario, startedAt: Date, start: number) => ({
  scenario: s.scenario,
  harnessVersion: HARNESS_VERSION,
  ...cell,
  command: gunicornCommand(cell, s),
  startedAt: startedAt.toISOString(),
  durationMs: Math.round(performance.now() - start),
});

/** The lock minus its package list (the packages are recorded separately, as installed). */
const resolutionOf = ({ packages: _, python: __, ...how }: Lock) => how;

const emptyEvidence = (cell: Cell): Evidence => ({
  signatureMatches: [],
  tracebacks: 0,
  tracebackPhases: [],
  requests: 0,
  statusCounts: {},
  connectionErrors: {},
  pidsServed: [],
  workersAsked: cell.workers,
  readiness: { state: "not-started", afterMs: 0 },
  logTail: [],
  totalLogLines: 0,
  packages: [],
});

/** A cell whose env could not be built: install-failed, with the lock it tried and the log. */
export function installFailedRecord(
  cell: Cell,
  s: Scenario,
  env: Extract<PreparedEnv, { ok: false }>,
  runtime: Pick<Runtime, "name" | "machine">,
): CellRecord {
  return {
    ...baseRecord(cell, s, new Date(), performance.now()),
    outcome: "install-failed",
    reason: env.reason,
    runtime: runtime.name,
    ...(runtime.machine ? { machine: runtime.machine } : {}),
    ...(env.facts ? { pythonFull: env.facts.python } : {}),
    evidence: {
      ...emptyEvidence(cell),
      packages: env.lock?.packages.map((p) => `${p.name}==${p.version}`) ?? [],
      ...(env.lock ? { resolution: resolutionOf(env.lock) } : {}),
      installLog: env.log,
    },
  };
}

/** One cell to run: the experiment, where it runs, and what stops it. */
export interface CellRun {
  cell: Cell;
  scenario: Scenario;
  env: Extract<PreparedEnv, { ok: true }>;
  runtime: Runtime;
  /** Files placed in the server's app folder (fixtures.ts loadApps: the apps, their entries, config files). */
  apps: PlacedFile[];
  /** The run's stop (Ctrl-C, a silent engine): an interrupted cell gets no record. */
  signal: AbortSignal;
  /** 1-based; fixtures may read it (REPRO_MATRIX_TRIAL). */
  trial?: number;
  /** More servers of this env run in this run (its other cells, other trials). */
  shareable?: boolean;
}

/** What one server showed while it ran: filled in as far as the cell got. */
interface Observed {
  readiness: Readiness;
  probes?: ProbeSummary;
  exit?: ServerExit;
  bootProfile?: BootProfile;
  command: string[];
  /** Phases gone through to their end: boot (it answered), probe or each step's, shutdown (it stopped). */
  completed: Set<string>;
  steps?: StepRun[];
  /** From the stop to the exit, when the server was still running at the stop. */
  shutdownMs?: number;
  /** The confinement the runtime applied (recorded with the cell). */
  limits?: ServerLimits;
  /** The master's workers once the probes or steps were done, read only when a check needs it. */
  workerSample?: ServerProcess[];
}

/** The scenario's checks (undefined without `checks:`) and a watch per line check, set before the server starts. */
interface Watched {
  checks?: Check[];
  watches: (LineWatch | undefined)[];
}

/**
 * Boot one server, wait for it, probe it, stop it, and classify what happened. A server that
 * crashes or hangs is a result; only the run's own abort (Ctrl-C) escapes as an exception.
 * The server is disposed (removed) on every path.
 */
export async function runCell(o: CellRun): Promise<CellRecord> {
  const { cell, scenario: s, env, runtime } = o;
  const startedAt = new Date();
  const start = performance.now();
  const logs = new LogCollector(s.signatures.map(compileSignature));
  const checks = scenarioChecks(s);
  const watched: Watched = checks ? { checks, watches: watchLines(checks, logs) } : { watches: [] };
  const deadline = AbortSignal.timeout(s.timeouts.cellSeconds * 1000);
  // As it will run (a remote engine's place differs), should the server never start.
  const seen: Observed = {
    readiness: { state: "timeout", afterMs: 0 },
    command: gunicornCommand(cell, s, runtime.place),
    completed: new Set(),
  };
  // Where a cell's time goes, phase by phase: the numbers the benchmark and any speed-up start from.
  const phases = new PhaseClock();
  try {
    await serve(o, logs, AbortSignal.any([o.signal, deadline]), seen, phases, watched);
  } catch (err) {
    // Interrupted (Ctrl-C, a silent engine): thrown below as the run's reason, not this call's error.
    if (!deadline.aborted && !o.signal.aborted) throw err;
    // The cell's own deadline: a result (timeout), not a harness fault.
    if (seen.readiness.afterMs === 0) seen.readiness = { state: "timeout", afterMs: performance.now() - start };
  }
  // Disposal (removing the container or process group) ran as serve() returned.
  // Interrupted: the probes stopped early and the server was killed, not stopped, so its
  // shutdown logs are missing. Whatever they show is no verdict (it read as "only 1/2 workers
  // served", or as clean without the shutdown): the cell gets none, and a later run does it.
  // Also how an interrupted call above ends the cell: with the run's reason.
  o.signal.throwIfAborted();
  phases.end("teardown");
  const summary = logs.finish();
  const checkResults = watched.checks ? judgeChecks(watched.checks, watched.watches, checkFacts(s, seen)) : undefined;
  const { outcome, reason, unreachedWorkers } = classify({
    readiness: seen.readiness,
    ...(seen.probes ? { probes: seen.probes } : {}),
    logs: summary,
    workersAsked: cell.workers,
    expectedStatus: s.probes.expectedStatus,
    cellTimedOut: deadline.aborted && !o.signal.aborted,
    ...(checkResults ? { checks: checkResults } : {}),
    ...(seen.steps ? { steps: seen.steps.map((st) => st.record) } : {}),
  });
  return {
    ...baseRecord(cell, s, startedAt, start),
    command: seen.command,
    outcome,
    reason,
    runtime: runtime.name,
    ...(runtime.machine ? { machine: runtime.machine } : {}),
    pythonFull: env.facts.python,
    image: env.image,
    phasesMs: phases.done(),
    ...(seen.bootProfile ? { bootProfile: seen.bootProfile } : {}),
    ...(seen.limits ? { limits: seen.limits } : {}),
    evidence: { ...evidenceOf(cell, env, seen, summary, checkResults), ...(unreachedWorkers ? { unreachedWorkers } : {}) },
  };
}

/** Start the server, wait until it answers, probe it (or run the steps), and stop it; what it showed goes into `seen`. */
async function serve(
  o: CellRun,
  logs: LogCollector,
  signal: AbortSignal,
  seen: Observed,
  phases: PhaseClock,
  watched: Watched,
): Promise<void> {
  const { cell, scenario: s } = o;
  await using server = await o.runtime.start(
    {
      image: o.env.image,
      command: (place) => gunicornCommand(cell, s, place),
      files: o.apps,
      logs,
      labels: {},
      memoryMiB: s.limits.memoryMiB,
      cpus: s.limits.cpus,
      // The cell's environment axis, and the trial (fixtures may read it: flaky_signature does).
      env: { ...cell.envVars, REPRO_MATRIX_TRIAL: String(o.trial ?? 1) },
      shareable: Boolean(o.shareable),
    },
    signal,
  );
  seen.command = server.command;
  if (server.limits) seen.limits = server.limits;
  phases.end("start");
  const serverStartedAt = performance.now();
  let exitedAt: number | undefined;
  server.exited.then(
    () => {
      exitedAt = performance.now();
    },
    () => undefined,
  );
  seen.readiness = await waitForReady(
    server.baseUrl + s.probes.path,
    server.exited,
    s.timeouts.bootSeconds * 1000,
    signal,
    () => hopeless(logs, cell.workers),
    server.socketPath,
  );
  phases.end("boot");
  if (seen.readiness.state === "ready") {
    seen.completed.add("boot");
    const probes = await exercise(o, server, logs, signal, seen, serverStartedAt, watched);
    seen.probes = probes;
    const allUpAt = logs.workersUpAt(cell.workers);
    seen.bootProfile = {
      ...(allUpAt !== undefined ? { allUpMs: Math.round(allUpAt - serverStartedAt) } : {}),
      ...(probes.allServedAt !== undefined ? { allServedMs: Math.round(probes.allServedAt - serverStartedAt) } : {}),
      workerMemory: probes.workerMemory,
    };
    // Read by the harness from /proc, not from the app's answers: any app's workers can be measured.
    if (needsWorkerSample(watched.checks) && !signal.aborted) seen.workerSample = await server.workers(signal).catch(() => undefined);
  }
  phases.end("probe");
  logs.phase = "shutdown";
  const stopAt = performance.now();
  const runningAtStop = exitedAt === undefined;
  // Also after an early exit: stop() waits for the output stream to end, so the last lines
  // (often the exception that killed the boot) reach the collector before it is read.
  // Not the cell's deadline: a cell that timed out still stops its server and reads its exit.
  // Ctrl-C or a silent engine end the wait.
  seen.exit = await server.stop(s.timeouts.stopSeconds, o.signal);
  seen.completed.add("shutdown");
  if (runningAtStop) seen.shutdownMs = (exitedAt ?? performance.now()) - stopAt;
  phases.end("stop");
}

/**
 * The probe phase, or with `steps:` the steps in its place; every request the cell sent, as one
 * summary. Without steps, probing ends once a signature has fired: more could only add evidence
 * lines, never change the verdict (classify).
 */
async function exercise(
  o: CellRun,
  server: StartedServer,
  logs: LogCollector,
  signal: AbortSignal,
  seen: Observed,
  serverStartedAt: number,
  watched: Watched,
): Promise<ProbeSummary> {
  const { cell, scenario: s } = o;
  if (s.steps) {
    seen.steps = [];
    await runSteps({ steps: s.steps, scenario: s, workers: cell.workers, server, logs, serverStartedAt }, seen.steps, signal);
    for (const st of seen.steps) if (st.completed) seen.completed.add(st.record.phase);
    return mergeSummaries(seen.steps.flatMap((st) => (st.probes ? [st.probes] : [])));
  }
  logs.phase = "probe";
  const probes = await probeServer(
    {
      baseUrl: server.baseUrl,
      ...(server.socketPath ? { socketPath: server.socketPath } : {}),
      ...s.probes,
      workers: cell.workers,
      requestTimeoutMs: s.timeouts.requestSeconds * 1000,
      workersReachedInLogs: () => logs.workersReached,
      workersAlive: () => logs.workersAlive,
      outcomeDecided: () => logs.signatureSeen || (watched.checks !== undefined && signatureFired(watched.checks, watched.watches)),
      // Any traceback is a problem classify.ts fails a served cell for.
      cleanStillPossible: () => logs.tracebackCount === 0,
    },
    signal,
  );
  if (!signal.aborted) seen.completed.add("probe");
  return probes;
}

/** What the checks are judged on, from what the server showed. */
function checkFacts(s: Scenario, seen: Observed): CheckFacts {
  return {
    readiness: seen.readiness,
    completed: seen.completed,
    stepPhases: (s.steps ?? []).map((st, i) => stepPhase(st, i + 1)),
    ...(seen.probes ? { probes: seen.probes } : {}),
    stepProbes: (s.steps ?? []).map((_, i) => seen.steps?.[i]?.probes),
    ...(seen.shutdownMs !== undefined ? { shutdownMs: seen.shutdownMs } : {}),
    ...(seen.workerSample ? { workerSample: seen.workerSample } : {}),
  };
}

/**
 * Gunicorn replaces a worker that dies of anything but a boot error, forever: twice as many
 * tracebacks as workers before any answer means they will not come up. Workers that die
 * silently (os._exit, a signal) show as respawns instead: three boots per asked-for worker
 * before any answer is a loop too. And a worker whose server fails to start may stay alive
 * without serving (uvicorn 0.3.26 to 0.3.28: a NameError in UvicornWorker.create_servers): a
 * traceback per worker and then silence, with nothing answering, would otherwise sit out the
 * whole boot timeout.
 */
function hopeless(logs: LogCollector, workers: number): BootGaveUp | undefined {
  if (logs.tracebackCount >= 2 * workers || logs.workerBootCount >= 3 * workers) return "crash-loop";
  if (logs.tracebackCount >= workers && logs.quietForMs() >= STALL_MS) return "stalled";
  return undefined;
}

function evidenceOf(
  cell: Cell,
  env: CellRun["env"],
  seen: Observed,
  summary: ReturnType<LogCollector["finish"]>,
  checks: CheckResult[] | undefined,
): Evidence {
  return {
    ...emptyEvidence(cell),
    signatureMatches: summary.signatureMatches,
    ...(summary.firstOtherTraceback ? { firstOtherTraceback: summary.firstOtherTraceback } : {}),
    tracebacks: summary.tracebacks,
    tracebackPhases: summary.tracebackPhases,
    ...(seen.probes
      ? {
          requests: seen.probes.requests,
          statusCounts: seen.probes.statusCounts,
          connectionErrors: seen.probes.connectionErrors,
          pidsServed: seen.probes.pidsServed,
        }
      : {}),
    readiness: { state: seen.readiness.state, afterMs: Math.round(seen.readiness.afterMs) },
    ...(seen.exit ? { exit: seen.exit } : {}),
    logTail: [...summary.head, ...summary.tail].slice(-40),
    totalLogLines: summary.totalLines,
    packages: env.freeze,
    resolution: resolutionOf(env.lock),
    ...(checks ? { checks } : {}),
    ...(seen.steps ? { steps: seen.steps.map((st) => st.record) } : {}),
  };
}
