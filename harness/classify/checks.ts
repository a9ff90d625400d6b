import type { CheckResult } from "../cell/record.js";
import type { Check, CheckBound, Scenario } from "../config/schema.js";
import { compileSignature } from "../config/signature.js";
import type { LineWatch, LogCollector, Phase } from "../evidence/log-collector.js";
import type { ProbeSummary } from "../probe/probe.js";
import type { Readiness } from "../probe/readiness.js";
import type { ServerProcess } from "../runtimes/runtime.js";

/**
 * The scenario's checks, `signatures:` first as signature checks; undefined when it states none,
 * so that a scenario without `checks:` is judged (and recorded) exactly as before checks existed.
 */
export function scenarioChecks(s: Pick<Scenario, "signatures" | "checks">): Check[] | undefined {
  if (!s.checks) return undefined;
  return [...s.signatures.map((signature) => ({ signature })), ...s.checks];
}

/** A watch per line check (undefined for the others), set before the server starts so that no line escapes it. */
export function watchLines(checks: Check[], logs: LogCollector): (LineWatch | undefined)[] {
  return checks.map((c) => {
    if ("signature" in c) return logs.watch(compileSignature(c.signature));
    if ("missingLine" in c) return logs.watch(compileSignature(c.missingLine));
    return undefined;
  });
}

/** A signature check without a place fired: nothing more a probe sees can change the outcome (reproduced). */
export const signatureFired = (checks: Check[], watches: (LineWatch | undefined)[]) =>
  checks.some((c, i) => "signature" in c && c.phase === undefined && c.step === undefined && (watches[i]?.byPhase.size ?? 0) > 0);

/** What the checks are judged on: how far the cell got, and what it measured on the way. */
export interface CheckFacts {
  readiness: Readiness;
  /** Phases the cell went through to their end: boot (it answered), probe or each step's, shutdown (it stopped). */
  completed: ReadonlySet<string>;
  /** Each step's phase, by step number − 1 (empty without steps). */
  stepPhases: string[];
  /** Every request the cell sent. */
  probes?: ProbeSummary;
  /** The requests of each step, by step number − 1. */
  stepProbes: (ProbeSummary | undefined)[];
  /** From the stop to the exit, when the server was still running at the stop. */
  shutdownMs?: number;
  /** The master's workers once the probes or steps were done (only read when a check needs it). */
  workerSample?: ServerProcess[];
}

type Place = { phase?: Phase | undefined; step?: number | undefined };

/** Judges each check: fired, quiet, or not judged (the cell never got where it could be), with what was seen. */
export function judgeChecks(checks: Check[], watches: (LineWatch | undefined)[], f: CheckFacts): CheckResult[] {
  return checks.map((c, i) => ({ check: describeCheck(c), ...judge(c, watches[i], f) }));
}

function judge(c: Check, watch: LineWatch | undefined, f: CheckFacts): Omit<CheckResult, "check"> {
  if ("signature" in c || "missingLine" in c) return judgeLines(c, watch, f);
  if ("workersServed" in c || "status" in c) {
    const probes = c.step !== undefined ? f.stepProbes[c.step - 1] : f.probes;
    const why = unreached(c, f);
    if (why || !probes) return { result: "not-judged", seen: why ?? "no request was sent" };
    if ("workersServed" in c) return bounded(probes.pidsServed.length, c.workersServed, `${probes.pidsServed.length} served`);
    return judgeStatus(c.status, probes);
  }
  if ("bootSeconds" in c) {
    if (f.readiness.state !== "ready") return { result: "not-judged", seen: `the server never answered (${f.readiness.state})` };
    const s = round(f.readiness.afterMs / 1000);
    return bounded(s, c.bootSeconds, `first answer after ${s} s`);
  }
  if ("shutdownSeconds" in c) {
    if (f.shutdownMs === undefined) return { result: "not-judged", seen: "the server was not running when it was stopped" };
    const s = round(f.shutdownMs / 1000);
    return bounded(s, c.shutdownSeconds, `exited ${s} s after the stop`);
  }
  const largest = [...(f.workerSample ?? [])].sort((a, b) => b.rssKb - a.rssKb)[0];
  if (!largest) return { result: "not-judged", seen: "no worker was running once the requests were done" };
  const mib = round(largest.rssKb / 1024);
  return bounded(mib, c.workerRssMiB, `largest worker ${mib} MiB (pid ${largest.pid}, of ${f.workerSample?.length})`);
}

/** Lines matching in the check's place: a signature fires on any; a missing line on none, once its place was gone through. */
function judgeLines(
  c: Extract<Check, { signature: string }> | Extract<Check, { missingLine: string }>,
  watch: LineWatch | undefined,
  f: CheckFacts,
) {
  const phase = placeName(c, f);
  const counts = [...(watch?.byPhase ?? [])].filter(([p]) => phase === undefined || p === phase);
  const n = counts.reduce((sum, [, k]) => sum + k, 0);
  const where = phase ?? "any phase";
  const lines = (watch?.lines ?? []).filter((l) => phase === undefined || l.phase === phase);
  if ("signature" in c) {
    if (n === 0) return { result: "quiet" as const, seen: `no line in ${where}` };
    return { result: "fired" as const, seen: `in ${counts.map(([p]) => p).join("/")} logs (${plural(n, "line")})`, lines };
  }
  const why = unreached(c, f);
  if (why) return { result: "not-judged" as const, seen: why };
  if (n > 0) return { result: "quiet" as const, seen: `${plural(n, "line")} in ${where}`, lines };
  return { result: "fired" as const, seen: `no line in ${where}` };
}

function judgeStatus(bounds: Record<string, CheckBound>, p: ProbeSummary) {
  const counts = Object.entries(bounds).map(([key, bound]) => ({ key, n: statusCount(key, p), bound }));
  const seen = counts.map(({ key, n }) => `${n}×${key}`).join(", ");
  return { result: counts.every(({ n, bound }) => meets(n, bound)) ? ("fired" as const) : ("quiet" as const), seen };
}

/** Responses with an exact status, a class (5xx), no answer at all ("error"), or a client error code. */
function statusCount(key: string, p: ProbeSummary): number {
  const sum = (r: Record<string, number>, keep: (k: string) => boolean) =>
    Object.entries(r).reduce((n, [k, v]) => n + (keep(k) ? v : 0), 0);
  if (/^\dxx$/.test(key)) return sum(p.statusCounts, (k) => k[0] === key[0]);
  if (key === "error") return sum(p.connectionErrors, () => true);
  return sum(p.statusCounts, (k) => k === key) + sum(p.connectionErrors, (k) => k === key);
}

/** Why the place a check looks at was not gone through to its end, if it was not. */
function unreached(c: Place, f: CheckFacts): string | undefined {
  const place = placeName(c, f);
  if (f.readiness.state !== "ready") return `the server never answered (${f.readiness.state})`;
  if (place !== undefined) return f.completed.has(place) ? undefined : `the cell did not complete ${place}`;
  // No place: the whole run, every phase of it.
  const all = ["boot", ...(f.stepPhases.length > 0 ? f.stepPhases : ["probe"]), "shutdown"];
  const missing = all.find((p) => !f.completed.has(p));
  return missing ? `the cell did not complete ${missing}` : undefined;
}

const placeName = (c: Place, f: CheckFacts): string | undefined =>
  c.step !== undefined ? (f.stepPhases[c.step - 1] ?? `step ${c.step}`) : c.phase;

function bounded(value: number, bound: CheckBound, seen: string) {
  return { result: meets(value, bound) ? ("fired" as const) : ("quiet" as const), seen, value };
}

/** The value meets every comparison the bound gives. */
export function meets(v: number, b: CheckBound): boolean {
  return (
    (b.lessThan === undefined || v < b.lessThan) &&
    (b.atMost === undefined || v <= b.atMost) &&
    (b.moreThan === undefined || v > b.moreThan) &&
    (b.atLeast === undefined || v >= b.atLeast) &&
    (b.equals === undefined || v === b.equals)
  );
}

const SYMBOLS = { lessThan: "<", atMost: "≤", moreThan: ">", atLeast: "≥", equals: "=" } as const;
const boundText = (b: CheckBound) =>
  Object.entries(b)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${SYMBOLS[k as keyof typeof SYMBOLS]} ${v}`)
    .join(", ");

/** A check as a short line: `missingLine /Worker exiting/ in shutdown`, `workersServed < 2 in step 3`. */
export function describeCheck(c: Check): string {
  const place = (p: Place) => (p.step !== undefined ? ` in step ${p.step}` : p.phase ? ` in ${p.phase}` : "");
  if ("signature" in c) return `signature /${c.signature}/${place(c)}`;
  if ("missingLine" in c) return `missingLine /${c.missingLine}/${place(c)}`;
  if ("workersServed" in c) return `workersServed ${boundText(c.workersServed)}${place(c)}`;
  if ("status" in c)
    return `status ${Object.entries(c.status)
      .map(([k, b]) => `${k} ${boundText(b)}`)
      .join("; ")}${place(c)}`;
  if ("bootSeconds" in c) return `bootSeconds ${boundText(c.bootSeconds)}`;
  if ("shutdownSeconds" in c) return `shutdownSeconds ${boundText(c.shutdownSeconds)}`;
  return `workerRssMiB ${boundText(c.workerRssMiB)}`;
}

/** Whether any check needs the workers' memory read (an exec per cell on docker: only when asked). */
export const needsWorkerSample = (checks: Check[] | undefined) => Boolean(checks?.some((c) => "workerRssMiB" in c));

const round = (n: number) => Math.round(n * 10) / 10;
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
