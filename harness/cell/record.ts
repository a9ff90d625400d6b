import { z } from "zod";
import { CELL_AXES, type Cell } from "./cell.js";
import { OUTCOMES } from "./outcome.js";

/** The server's phase: boot, probe, shutdown, or with steps: the step's name, "step 2 (HUP master)". */
const PhaseName = z.union([z.enum(["boot", "probe", "shutdown"]), z.string().regex(/^step \d+ \(.*\)$/)]);

const LogLine = z.strictObject({
  n: z.number(),
  stream: z.enum(["stdout", "stderr"]),
  phase: PhaseName,
  text: z.string(),
});

/** How one of the scenario's checks came out (`signatures:` count as signature checks, first). */
export const CheckResult = z.strictObject({
  /** The check as the scenario states it, e.g. `missingLine /Worker exiting/ in shutdown`. */
  check: z.string(),
  /** fired: its condition held (the cell reproduced); quiet: it did not; not-judged: the cell never got where it could be judged. */
  result: z.enum(["fired", "quiet", "not-judged"]),
  /** What was seen, in a few words: the value measured, the lines counted, or why it could not be judged. */
  seen: z.string(),
  /** The number a bound was held to (seconds, MiB, workers, responses). */
  value: z.number().optional(),
  /** The first lines that matched, for line checks. */
  lines: z.array(LogLine).optional(),
});
export type CheckResult = z.infer<typeof CheckResult>;

/** Requests a step sent, counted as the evidence counts the probes. */
const StepRequests = z.strictObject({
  requests: z.number(),
  statusCounts: z.record(z.string(), z.number()),
  connectionErrors: z.record(z.string(), z.number()),
  pidsServed: z.array(z.number()),
  /** With `during`: requests still unanswered when the signal was sent. */
  inFlightAtSignal: z.number().optional(),
});

/** What one of the scenario's steps did. */
export const StepRecord = z.strictObject({
  /** Its phase, as its log lines show it: "step 2 (HUP master)". */
  phase: z.string(),
  /** It did what it says (the signal was sent, the line came); false: see detail. */
  done: z.boolean(),
  /** One sentence: what happened ("HUP sent to the master, pid 7", "2 lines after 0.4 s"). */
  detail: z.string(),
  /** Milliseconds from the server's start to the step's start, and the step's own length. */
  atMs: z.number(),
  tookMs: z.number(),
  requests: StepRequests.optional(),
  /** The master's workers (child pids) once the step was done. */
  workers: z.array(z.number()).optional(),
});
export type StepRecord = z.infer<typeof StepRecord>;

export const Evidence = z.strictObject({
  /** Signature lines as they appeared, with stream, line number and server phase. */
  signatureMatches: z.array(LogLine),
  firstOtherTraceback: z.array(z.string()).optional(),
  tracebacks: z.number(),
  tracebackPhases: z.array(PhaseName).default([]),
  requests: z.number(),
  statusCounts: z.record(z.string(), z.number()),
  connectionErrors: z.record(z.string(), z.number()),
  /** Distinct worker pids that answered with the expected status. */
  pidsServed: z.array(z.number()),
  /** On a clean cell: workers whose logs show they booted, stayed up and stopped gracefully, but that no probe reached (classify.ts). */
  unreachedWorkers: z.array(z.number()).optional(),
  workersAsked: z.number(),
  readiness: z.strictObject({ state: z.enum(["ready", "exited", "timeout", "crash-loop", "stalled", "not-started"]), afterMs: z.number() }),
  exit: z.strictObject({ exitCode: z.number(), killed: z.boolean() }).optional(),
  /** The last lines of output (both streams), enough to see what happened without the full log. */
  logTail: z.array(LogLine),
  totalLogLines: z.number(),
  /** name==version of everything installed in the image (pip freeze), or the lock that failed. */
  packages: z.array(z.string()),
  /** How the env's lock was resolved: strategy, day, cut-off, lifts past it, target platform, constraints. */
  resolution: z
    .strictObject({
      strategy: z.string(),
      resolvedOn: z.string(),
      cutoff: z.string().optional(),
      anchor: z.string().optional(),
      exempt: z.array(z.string()).optional(),
      fallback: z.strictObject({ packages: z.array(z.string()), because: z.string() }).optional(),
      sources: z.strictObject({ indexUrl: z.string(), extraIndexUrls: z.array(z.string()), findLinks: z.array(z.string()) }).optional(),
      platform: z.string(),
      constraints: z.array(z.string()),
      onlyBinary: z.array(z.string()),
    })
    .optional(),
  /** Why the env could not be built, and the tail of its log. */
  installLog: z.string().optional(),
  /** With `checks:` in the scenario: each check, whether it fired, and what was seen. */
  checks: z.array(CheckResult).optional(),
  /** With `steps:` in the scenario: what each step did. */
  steps: z.array(StepRecord).optional(),
});
export type Evidence = z.infer<typeof Evidence>;

/** How a server came up: the boot-profile scenario compares these across worker counts and --preload. */
export const BootProfile = z.strictObject({
  /** From the server's start until N distinct workers had logged that they are up (uvicorn's startup lines). */
  allUpMs: z.number().optional(),
  /** From the server's start until every asked-for worker had answered a probe; absent if some never did. */
  allServedMs: z.number().optional(),
  /** Per worker that answered, as the worker read it from /proc/self (KiB); PSS splits pages shared after fork. */
  workerMemory: z.array(z.strictObject({ pid: z.number(), rssKb: z.number(), pssKb: z.number().optional() })),
});
export type BootProfile = z.infer<typeof BootProfile>;

/** The machine a cell ran on, as its runtime saw it: the same packages can behave differently on another kernel or engine. */
export const MachineFacts = z.strictObject({
  /** The distribution, e.g. "Debian GNU/Linux 12 (bookworm)". */
  os: z.string(),
  kernel: z.string(),
  arch: z.string(),
  cpus: z.number(),
  memoryMiB: z.number(),
  /** The container engine, e.g. "Docker 26.1.5"; absent on the local runtime. */
  engine: z.string().optional(),
  /** The engine runs on another machine (DOCKER_HOST): the facts above are that machine's. */
  remoteEngine: z.boolean().optional(),
});
export type MachineFacts = z.infer<typeof MachineFacts>;

/**
 * The confinement a cell's server actually ran under, as its runtime applied it: a verdict may
 * depend on it (a swap-less memory cap kills where swap would only slow down). Absent: not recorded.
 */
export const ServerLimits = z.strictObject({
  memoryMiB: z.number().optional(),
  /** Memory plus swap; equal to memoryMiB: no swap. */
  memorySwapMiB: z.number().optional(),
  /** CPU quota in CPUs (docker NanoCpus). */
  cpus: z.number().optional(),
  pids: z.number().optional(),
  /** Root filesystem read-only; /tmp a tmpfs of tmpMiB. */
  readOnlyRoot: z.boolean(),
  tmpMiB: z.number().optional(),
  /** Network the server could reach: none (a unix socket only), loopback (local, unshare -n), bridge, host. */
  network: z.enum(["none", "loopback", "bridge", "host"]),
  /** Resource limits set on the process (local): address space, open files, core size. */
  rlimits: z.record(z.string(), z.number()).optional(),
  /** Its own session and process group (local: setsid). */
  ownSession: z.boolean().optional(),
});
export type ServerLimits = z.infer<typeof ServerLimits>;

export const CellRecord = z.strictObject({
  scenario: z.string(),
  /** The cell's axes, as the cell model declares them. */
  ...CELL_AXES,
  outcome: z.enum(OUTCOMES),
  reason: z.string(),
  /** The runtime that ran the cell, by its registry name (docker, local). */
  runtime: z.string().min(1),
  /** Where it ran: distribution, kernel, CPUs, memory, engine. */
  machine: MachineFacts.optional(),
  /** Full Python version in the image, e.g. 3.9.2. */
  pythonFull: z.string().optional(),
  image: z.string().optional(),
  command: z.array(z.string()),
  startedAt: z.string(),
  durationMs: z.number(),
  /** Where the cell's time went: start (container/process up), boot (to first answer), probe, stop, teardown. */
  // Partial: a cell whose server never started (its deadline ran out first) measured only its teardown.
  phasesMs: z.partialRecord(z.enum(["start", "boot", "probe", "stop", "teardown"]), z.number()).optional(),
  /** Hash of everything that decided this result (cell-key.ts); a re-run with the same key reuses it. */
  cacheKey: z.string().optional(),
  /** The harness version that ran the cell; with startedAt and the lock, what "last verified" means. */
  harnessVersion: z.string().optional(),
  bootProfile: BootProfile.optional(),
  /** What confined the server: memory, swap, CPUs, pids, read-only root, network. */
  limits: ServerLimits.optional(),
  /** With trials > 1: how many ran, their outcomes, and in how many the signature appeared. */
  trials: z.strictObject({ count: z.number(), outcomes: z.record(z.string(), z.number()), reproducedIn: z.number() }).optional(),
  evidence: Evidence,
});
export type CellRecord = z.infer<typeof CellRecord>;

export type CellAxes = Cell;

/**
 * A record as results.json schema 4 and earlier wrote it (uvicorn and gunicorn as fields, any
 * other package under `extras`), with its packages as one map; any other value as it is.
 */
export function migrateLegacyAxes(raw: unknown): unknown {
  if (typeof raw !== "object" || raw === null || "packages" in raw) return raw;
  const { uvicorn, gunicorn, extras, ...rest } = raw as Record<string, unknown>;
  if (typeof uvicorn !== "string" || typeof gunicorn !== "string") return raw;
  const others = typeof extras === "object" && extras !== null ? extras : {};
  return { ...rest, packages: { uvicorn, gunicorn, ...others } };
}

// Owned by the cell model; re-exported for the stages that key records.
export { cellAxesKey, cellIdentity } from "./cell.js";
