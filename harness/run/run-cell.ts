import type { Cell } from "../cell/cell.js";
import type { BootProfile, CellRecord, Evidence } from "../cell/record.js";
import { classify } from "../classify/classify.js";
import type { Scenario } from "../config/schema.js";
import { HARNESS_VERSION } from "../core/version.js";
import type { Lock } from "../envs/lock.js";
import type { PreparedEnv } from "../envs/prepare-env.js";
import { LogCollector } from "../evidence/log-collector.js";
import { type ProbeSummary, probeServer } from "../probe/probe.js";
import { type BootGaveUp, type Readiness, waitForReady } from "../probe/readiness.js";
import { CONTAINER_PLACE } from "../runtimes/docker/container-place.js";
import type { PlacedFile, Runtime, ServerExit, ServerPlace } from "../runtimes/runtime.js";

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

/** The module Gunicorn loads for a fixture: import-time-loop -> import_time_loop:app. */
export const appTarget = (app: string) => `${app.replaceAll("-", "_")}:app`;

export function gunicornCommand(cell: Cell, s: Scenario, place: ServerPlace = CONTAINER_PLACE): string[] {
  return [
    `${place.venv}/bin/gunicorn`,
    ...["--workers", String(cell.workers), "--worker-class", cell.workerClass],
    ...["--bind", place.bind, "--chdir", place.appDir, "--worker-tmp-dir", "/tmp"],
    ...["--graceful-timeout", String(s.timeouts.stopSeconds), "--timeout", "30"],
    ...(cell.preload ? ["--preload"] : []),
    appTarget(cell.app),
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
  /** Files placed next to the app (the fixture apps). */
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
  const logs = new LogCollector(s.signatures.map((r) => new RegExp(r)));
  const deadline = AbortSignal.timeout(s.timeouts.cellSeconds * 1000);
  // As it will run (a remote engine's place differs), should the server never start.
  const seen: Observed = { readiness: { state: "timeout", afterMs: 0 }, command: gunicornCommand(cell, s, runtime.place) };
  // Where a cell's time goes, phase by phase: the numbers the benchmark and any speed-up start from.
  const phases = new PhaseClock();
  try {
    await serve(o, logs, AbortSignal.any([o.signal, deadline]), seen, phases);
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
  const { outcome, reason } = classify({
    readiness: seen.readiness,
    ...(seen.probes ? { probes: seen.probes } : {}),
    logs: summary,
    workersAsked: cell.workers,
    expectedStatus: s.probes.expectedStatus,
    cellTimedOut: deadline.aborted && !o.signal.aborted,
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
    evidence: evidenceOf(cell, env, seen, summary),
  };
}

/** Start the server, wait until it answers, probe it, and stop it; what it showed goes into `seen`. */
async function serve(o: CellRun, logs: LogCollector, signal: AbortSignal, seen: Observed, phases: PhaseClock): Promise<void> {
  const { cell, scenario: s } = o;
  await using server = await o.runtime.start(
    {
      image: o.env.image,
      command: (place) => gunicornCommand(cell, s, place),
      files: o.apps,
      logs,
      labels: {},
      memoryMiB: s.limits.memoryMiB,
      // Fixtures may read it (flaky_signature does); real apps ignore it.
      env: { REPRO_MATRIX_TRIAL: String(o.trial ?? 1) },
      shareable: Boolean(o.shareable),
    },
    signal,
  );
  seen.command = server.command;
  phases.end("start");
  const serverStartedAt = performance.now();
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
    logs.phase = "probe";
    const probes = await probeServer(
      {
        baseUrl: server.baseUrl,
        ...(server.socketPath ? { socketPath: server.socketPath } : {}),
        ...s.probes,
        workers: cell.workers,
        requestTimeoutMs: s.timeouts.requestSeconds * 1000,
        workersReachedInLogs: () => logs.workersReached,
        // The signature decides the outcome wherever it appears (classify): once it has, more
        // probing could only add evidence lines, never change the verdict.
        outcomeDecided: () => logs.signatureSeen,
      },
      signal,
    );
    seen.probes = probes;
    const allUpAt = logs.workersUpAt(cell.workers);
    seen.bootProfile = {
      ...(allUpAt !== undefined ? { allUpMs: Math.round(allUpAt - serverStartedAt) } : {}),
      ...(probes.allServedAt !== undefined ? { allServedMs: Math.round(probes.allServedAt - serverStartedAt) } : {}),
      workerMemory: probes.workerMemory,
    };
  }
  phases.end("probe");
  logs.phase = "shutdown";
  // Also after an early exit: stop() waits for the output stream to end, so the last lines
  // (often the exception that killed the boot) reach the collector before it is read.
  // Not the cell's deadline: a cell that timed out still stops its server and reads its exit.
  // Ctrl-C or a silent engine end the wait.
  seen.exit = await server.stop(s.timeouts.stopSeconds, o.signal);
  phases.end("stop");
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

function evidenceOf(cell: Cell, env: CellRun["env"], seen: Observed, summary: ReturnType<LogCollector["finish"]>): Evidence {
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
  };
}
