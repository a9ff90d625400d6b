import type { Outcome } from "../cell/outcome.js";
import type { CheckResult, StepRecord } from "../cell/record.js";
import type { LogSummary } from "../evidence/log-collector.js";
import type { ProbeSummary } from "../probe/probe.js";
import type { Readiness } from "../probe/readiness.js";

export interface RunFacts {
  readiness: Readiness;
  /** Absent when the server never became ready. */
  probes?: ProbeSummary;
  logs: LogSummary;
  workersAsked: number;
  expectedStatus: number;
  /** The cell's overall deadline passed while probing. */
  cellTimedOut: boolean;
  /** With `checks:` in the scenario: how each came out (judgeChecks). They decide "reproduced" instead of the signature matches. */
  checks?: CheckResult[];
  /** With `steps:` in the scenario: what each did. A step that did not do what it says keeps the cell from being clean. */
  steps?: StepRecord[];
}

export interface Classification {
  outcome: Outcome;
  /** One short sentence a table cell can show. */
  reason: string;
  /**
   * On a clean cell: workers that booted, stayed up and stopped gracefully, but were never handed
   * a connection while the probes ran (the kernel's choice on a busy machine), by pid.
   */
  unreachedWorkers?: number[];
}

/**
 * Precedence: the signature (with `checks:`, any check that fired) wins wherever it appeared (the
 * question asked is "does it happen"); then the ways a server can fail to be tested; "clean" only
 * when everything asked was seen. (install-failed is decided before any server runs, in the env builder.)
 */
export function classify(f: RunFacts): Classification {
  const reproduced = f.checks ? byChecks(f.checks) : bySignature(f.logs);
  if (reproduced) return reproduced;
  const untested = untestable(f);
  if (untested) return untested;
  if (!f.probes) return { outcome: "timeout", reason: "no probe results" };
  return served(f, f.probes);
}

function bySignature(logs: LogSummary): Classification | undefined {
  const matches = logs.signatureMatches;
  if (matches.length === 0) return undefined;
  const phases = [...new Set(matches.map((m) => m.phase))].join("/");
  return { outcome: "reproduced", reason: `signature in ${phases} logs (${countLabel(matches.length, "line")})` };
}

/** Any check that fired reproduces the cell; the reason is the first one's, as the scenario lists them. */
function byChecks(checks: CheckResult[]): Classification | undefined {
  const fired = checks.filter((c) => c.result === "fired");
  const [first] = fired;
  if (!first) return undefined;
  // A signature check reads as the signatures always have: where, and how many lines.
  const what = first.check.startsWith("signature ") ? `signature ${first.seen}` : `${first.check}: ${first.seen}`;
  const more = fired.length > 1 ? ` (and ${countLabel(fired.length - 1, "more check")})` : "";
  return { outcome: "reproduced", reason: `${what}${more}` };
}

/** The ways a server can fail to be tested at all: it never answered, or the cell ran out of time. */
function untestable(f: RunFacts): Classification | undefined {
  if (f.readiness.state === "exited") {
    const missing = missingWorkerClass(f.logs);
    if (missing) return { outcome: "boot-failure", reason: missing };
    return { outcome: "boot-failure", reason: `exited with code ${f.readiness.exit.exitCode} before answering HTTP${lastError(f.logs)}` };
  }
  if (f.readiness.state === "crash-loop") {
    return {
      outcome: "boot-failure",
      reason: `workers crash-looping (${countLabel(f.logs.tracebacks, "traceback")}, ${f.logs.workerBoots} worker starts for ${f.workersAsked} workers, no HTTP answer)${firstException(f.logs)}`,
    };
  }
  if (f.readiness.state === "stalled") {
    return {
      outcome: "boot-failure",
      reason: `workers stalled (${countLabel(f.logs.tracebacks, "traceback")} for ${f.workersAsked} workers, then silence and no HTTP answer)${firstException(f.logs)}`,
    };
  }
  if (f.readiness.state === "timeout") {
    return { outcome: "timeout", reason: `no HTTP answer within ${Math.round(f.readiness.afterMs / 1000)} s${firstException(f.logs)}` };
  }
  if (f.cellTimedOut) return { outcome: "timeout", reason: "cell deadline passed while probing" };
  return undefined;
}

/** A server that answered: clean only when everything asked was seen, else other-failure with each problem. */
function served(f: RunFacts, p: ProbeSummary): Classification {
  const expected = p.statusCounts[f.expectedStatus] ?? 0;
  const problems: string[] = [];
  if (expected < p.requests) {
    const other = Object.entries(p.statusCounts).filter(([s]) => Number(s) !== f.expectedStatus);
    const errors = Object.entries(p.connectionErrors);
    problems.push(
      `${p.requests - expected}/${p.requests} probes failed (${[...other.map(([s, n]) => `${n}×${s}`), ...errors.map(([c, n]) => `${n}×${c}`)].join(", ")})`,
    );
  }
  const unreached = unreachedButAlive(f, p);
  if (p.pidsServed.length < f.workersAsked && !unreached) problems.push(`only ${p.pidsServed.length}/${f.workersAsked} workers served`);
  if (f.logs.tracebacks > 0) {
    problems.push(`${countLabel(f.logs.tracebacks, "traceback")} in ${f.logs.tracebackPhases.join("/")}${firstException(f.logs)}`);
  }
  for (const st of f.steps ?? []) if (!st.done) problems.push(`${st.phase}: ${st.detail}`);
  for (const c of f.checks ?? []) if (c.result === "not-judged") problems.push(`check ${c.check} not judged: ${c.seen}`);
  if (problems.length > 0) return { outcome: "other-failure", reason: problems.join("; ") };
  const steps = f.steps ? `, ${countLabel(f.steps.length, "step")} done` : "";
  const note = unreached
    ? `; ${countLabel(unreached.length, "worker")} up but never handed a connection (pid ${unreached.join(", ")})`
    : "";
  return {
    outcome: "clean",
    reason: `${p.requests}/${p.requests} × ${f.expectedStatus} from ${p.pidsServed.length}/${f.workersAsked} workers${steps}${note}`,
    ...(unreached ? { unreachedWorkers: unreached } : {}),
  };
}

/**
 * #85's rule kept honest on a busy machine: which worker accepts a connection is the kernel's
 * choice, and under load one may get none in the whole coverage window. Such a worker is no
 * failure when every probe was answered as expected (checked by the caller: otherwise there are
 * problems anyway) and its own log lines show it booted, was never lost, and ran its graceful
 * exit at the stop. A worker that never booted, died, or was killed at the stop still fails the
 * cell. Returns the unreached pids when they account for every missing worker, else undefined.
 */
function unreachedButAlive(f: RunFacts, p: ProbeSummary): number[] | undefined {
  const missing = f.workersAsked - p.pidsServed.length;
  if (missing <= 0) return undefined;
  const expected = p.statusCounts[f.expectedStatus] ?? 0;
  if (expected < p.requests || p.requests === 0) return undefined;
  const { booted, lost, stoppedGracefully } = f.logs.workerLiveness;
  const served = new Set(p.pidsServed);
  const healthy = booted.filter((pid) => !lost.includes(pid) && stoppedGracefully.includes(pid));
  // Every worker that served must itself have been a healthy booted worker, or the counts mislead.
  if (!p.pidsServed.every((pid) => booted.includes(pid) && !lost.includes(pid))) return undefined;
  const unreached = healthy.filter((pid) => !served.has(pid)).sort((a, b) => a - b);
  return unreached.length >= missing ? unreached : undefined;
}

const countLabel = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** The exception line of the first other traceback, which names what went wrong. */
function firstException(logs: LogSummary): string {
  const last = logs.firstOtherTraceback?.at(-1)?.trim();
  return last ? `: ${last.slice(0, 160)}` : "";
}

/**
 * A -k naming a class the env lacks, in either of Gunicorn's two ways: a module it cannot import
 * ("class uri … invalid or not found", before any worker starts), or a module without that
 * attribute (load_class hands back the string, and spawning a worker calls it: "'str' object is
 * not callable" from `self.worker_class(`). Either way it is a fact about the env, not the bug.
 */
function missingWorkerClass(logs: LogSummary): string | undefined {
  const lines = [...logs.head, ...logs.tail].map((l) => l.text.trim());
  const uri = lines.map((t) => /class uri '([^']+)' invalid or not found/.exec(t)?.[1]).find(Boolean);
  if (uri) {
    const cause = lines.find((t) => /^\w+(Error|Exception): /.test(t) && !t.includes("class uri"));
    // Its module is missing: the env lacks it. Anything else: the module is there but breaks on import.
    const missingModule = /No module named '([^']+)'/.exec(cause ?? "")?.[1];
    if (!cause || (missingModule && uri.startsWith(missingModule)))
      return `worker class ${uri} not found in this env${cause ? ` (${cause.slice(0, 120)})` : ""}`;
    return `worker class ${uri} failed to load: ${cause.slice(0, 160)}`;
  }
  const used = lines.map((t) => /Using worker: (\S+)/.exec(t)?.[1]).find(Boolean);
  const calledString =
    lines.some((t) => t.includes("self.worker_class(")) && lines.some((t) => t === "TypeError: 'str' object is not callable");
  if (used && calledString) return `worker class ${used} not found in this env (its module has no such attribute)`;
  return undefined;
}

function lastError(logs: LogSummary): string {
  const ex = firstException(logs);
  if (ex) return ex;
  const err = [...logs.head, ...logs.tail].reverse().find((l) => /error/i.test(l.text));
  return err ? `: ${err.text.trim().slice(0, 160)}` : "";
}
