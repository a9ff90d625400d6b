import { setTimeout as sleep } from "node:timers/promises";
import type { StepRecord } from "../cell/record.js";
import type { Scenario, Step } from "../config/schema.js";
import { compileSignature } from "../config/signature.js";
import { LineWaiter } from "../evidence/line-waiter.js";
import type { LogCollector, StepPhase } from "../evidence/log-collector.js";
import { requestsInFlight } from "../probe/in-flight.js";
import { type ProbeSummary, probeServer } from "../probe/probe.js";
import type { SignalSent, StartedServer } from "../runtimes/runtime.js";

/** One step as it ran. */
export interface StepRun {
  record: StepRecord;
  /** The requests it sent: the outcome and the checks are judged on them. */
  probes?: ProbeSummary;
  /** It ran to its end, not cut off by the cell's deadline: its phase was seen whole. */
  completed: boolean;
}

/** What the steps act on: the ready server, its output, and the scenario's probe settings. */
export interface StepsContext {
  steps: Step[];
  scenario: Scenario;
  /** The cell's Gunicorn workers: how many distinct pids a probe step waits for, unless it says. */
  workers: number;
  server: StartedServer;
  logs: LogCollector;
  /** performance.now() when the server was started, for each step's `atMs`. */
  serverStartedAt: number;
}

/** What one step did, before the harness adds where and when. */
interface Done {
  done: boolean;
  detail: string;
  probes?: ProbeSummary;
  inFlightAtSignal?: number;
}

/** A pattern as it fits a phase name: one line (the record's phase is one), at most 40 characters. */
const short = (text: string) => {
  const line = text.replace(/\s+/g, " ");
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
};

/** A step's phase, the name its log lines carry: "step 2 (HUP master)". */
export function stepPhase(step: Step, n: number): StepPhase {
  let what: string;
  if ("requests" in step)
    what = `${step.requests} request${step.requests === 1 ? "" : "s"}${step.during ? `, ${step.during.signal} ${step.during.to}` : ""}`;
  else if ("probe" in step) what = "probe";
  else if ("signal" in step) what = `${step.signal} ${step.to}`;
  else if ("wait" in step) what = `wait for ${step.wait.count > 1 ? `${step.wait.count} × ` : ""}/${short(step.wait.line)}/`;
  else what = `sleep ${step.sleep} s`;
  return `step ${n} (${what})`;
}

/**
 * Runs the steps in order, each in its own log phase, pushing each as it ends into `runs` (so a
 * cell cut off mid-way keeps what ran). The cell's deadline ends them early: the step cut off is
 * recorded as not completed, and the server is then stopped as after any probe phase. Only an
 * interruption of the run itself (the caller's `interrupted`) escapes as an exception.
 */
export async function runSteps(ctx: StepsContext, runs: StepRun[], signal: AbortSignal): Promise<void> {
  // A wait counts lines from the start of the step before it: what a signal causes comes fast.
  let waiter = waiterFor(ctx, 0);
  for (const [i, step] of ctx.steps.entries()) {
    const phase = stepPhase(step, i + 1);
    ctx.logs.phase = phase;
    const next = waiterFor(ctx, i + 1);
    const start = performance.now();
    const atMs = Math.round(start - ctx.serverStartedAt);
    try {
      const did = await runStep(step, ctx, waiter, signal);
      // Probes end quietly on the deadline: a step it cut short did not complete either.
      signal.throwIfAborted();
      const workers = (await ctx.server.workers(signal)).map((w) => w.pid);
      runs.push({ record: recordOf(phase, did, atMs, start, workers), ...(did.probes ? { probes: did.probes } : {}), completed: true });
    } catch (err) {
      next?.dispose();
      if (!signal.aborted) throw err;
      runs.push({ record: recordOf(phase, { done: false, detail: "cut off by the cell's deadline" }, atMs, start), completed: false });
      return;
    } finally {
      waiter?.dispose();
    }
    waiter = next;
  }
}

function recordOf(phase: string, did: Done, atMs: number, start: number, workers?: number[]): StepRecord {
  const p = did.probes;
  return {
    phase,
    done: did.done,
    detail: did.detail,
    atMs,
    tookMs: Math.round(performance.now() - start),
    ...(p
      ? {
          requests: {
            requests: p.requests,
            statusCounts: p.statusCounts,
            connectionErrors: p.connectionErrors,
            pidsServed: p.pidsServed,
            ...(did.inFlightAtSignal !== undefined ? { inFlightAtSignal: did.inFlightAtSignal } : {}),
          },
        }
      : {}),
    ...(workers ? { workers } : {}),
  };
}

function waiterFor(ctx: StepsContext, index: number): LineWaiter | undefined {
  const step = ctx.steps[index];
  return step && "wait" in step ? new LineWaiter(ctx.logs, compileSignature(step.wait.line), step.wait.count) : undefined;
}

async function runStep(step: Step, ctx: StepsContext, waiter: LineWaiter | undefined, signal: AbortSignal): Promise<Done> {
  if ("requests" in step) return step.during ? await inFlight(step, ctx, signal) : await requests(step, ctx, signal);
  if ("probe" in step) return await probe(step, ctx, signal);
  if ("signal" in step) {
    const sent = await ctx.server.kill(step.signal, step.to, signal);
    return { done: sent.sent, detail: `${sentText(step.signal, step.to, sent)}${await stopped(step, sent, ctx, signal)}` };
  }
  if ("wait" in step) {
    const { line, count, timeoutSeconds } = step.wait;
    const start = performance.now();
    const seen = await (waiter as LineWaiter).wait(timeoutSeconds * 1000, signal);
    const n = (waiter as LineWaiter).count;
    const lines = `${count > 1 ? `${Math.min(n, count)} of ${count} lines` : "a line"} matching /${short(line)}/`;
    return seen
      ? { done: true, detail: `${lines} by ${round((performance.now() - start) / 1000)} s` }
      : { done: false, detail: `${lines}: not seen within ${timeoutSeconds} s` };
  }
  await sleep(step.sleep * 1000, undefined, { signal });
  return { done: true, detail: `slept ${step.sleep} s` };
}

/** Signals that tell Gunicorn's master to stop (gracefully or not). */
const STOPS = new Set(["TERM", "INT", "QUIT"]);

/**
 * After a signal that stops the master, the step lasts until the server has exited (or the
 * scenario's stopSeconds and 5 s more have passed): the exit is the signal's effect, and a stop by
 * the harness arriving while the master is still exiting would be taken for its own (Python's
 * default handler is back during its last moments: exit 143 instead of 0).
 */
async function stopped(how: { signal: string; to: string }, sent: SignalSent, ctx: StepsContext, signal: AbortSignal): Promise<string> {
  if (!sent.sent || how.to !== "master" || !STOPS.has(how.signal)) return "";
  const start = performance.now();
  const limit = ctx.scenario.timeouts.stopSeconds + 5;
  const exit = await Promise.race([ctx.server.exited, sleep(limit * 1000, undefined, { signal, ref: false }).then(() => undefined)]);
  const after = round((performance.now() - start) / 1000);
  return exit ? `; the server exited with code ${exit.exitCode} ${after} s later` : `; the server still ran ${limit} s later`;
}

const sentText = (sig: string, to: string, sent: SignalSent) =>
  sent.sent ? `${sig} sent to the ${to}, pid ${sent.pid}` : `${sig} not sent to the ${to}: ${sent.why}`;

/** The server's address and the scenario's request settings, as every request of a step uses them. */
const target = (ctx: StepsContext) => ({
  baseUrl: ctx.server.baseUrl,
  ...(ctx.server.socketPath ? { socketPath: ctx.server.socketPath } : {}),
  expectedStatus: ctx.scenario.probes.expectedStatus,
  requestTimeoutMs: ctx.scenario.timeouts.requestSeconds * 1000,
});

const answers = (p: ProbeSummary) =>
  [...Object.entries(p.statusCounts), ...Object.entries(p.connectionErrors)].map(([k, n]) => `${n}×${k}`).join(", ") || "none";

type RequestsStep = Extract<Step, { requests: number }>;

async function requests(step: RequestsStep, ctx: StepsContext, signal: AbortSignal): Promise<Done> {
  const probes = await probeServer(
    {
      ...target(ctx),
      path: step.path ?? ctx.scenario.probes.path,
      count: step.requests,
      concurrency: step.concurrency ?? ctx.scenario.probes.concurrency,
      // Exactly `requests`: no coverage phase after them.
      workers: 1,
      coverageSeconds: 0,
    },
    signal,
  );
  return { done: true, detail: `${probes.requests} requests: ${answers(probes)}`, probes };
}

async function inFlight(step: RequestsStep, ctx: StepsContext, signal: AbortSignal): Promise<Done> {
  const during = step.during as NonNullable<RequestsStep["during"]>;
  const r = await requestsInFlight(
    { ...target(ctx), path: step.path ?? ctx.scenario.probes.path, count: step.requests, settleMs: during.afterSeconds * 1000 },
    () => ctx.server.kill(during.signal, during.to, signal),
    signal,
  );
  const exit = await stopped(during, r.during, ctx, signal);
  const detail = `${sentText(during.signal, during.to, r.during)} with ${r.inFlightAtSignal} of ${step.requests} requests in flight; answers: ${answers(r.summary)}${exit}`;
  return { done: r.during.sent, detail, probes: r.summary, inFlightAtSignal: r.inFlightAtSignal };
}

async function probe(step: Extract<Step, { probe: object }>, ctx: StepsContext, signal: AbortSignal): Promise<Done> {
  const { workers, ...changed } = step.probe;
  const probes = await probeServer(
    {
      ...target(ctx),
      ...ctx.scenario.probes,
      ...changed,
      workers: workers ?? ctx.workers,
      workersReachedInLogs: () => ctx.logs.workersReached,
    },
    signal,
  );
  const want = workers ?? ctx.workers;
  return { done: true, detail: `${probes.requests} requests from ${probes.pidsServed.length}/${want} workers: ${answers(probes)}`, probes };
}

const round = (n: number) => Math.round(n * 10) / 10;
