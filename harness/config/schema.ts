import { compare, explain, valid as isPep440, validRange } from "@renovatebot/pep440";
import { z } from "zod";
import { normalizeName } from "../core/package-name.js";
import { configFileArg, ownedOption } from "./gunicorn-args.js";
import { plainMessage } from "./issue-message.js";
import { extraName, packageName, requirement } from "./names.js";
import { KNOWN_PYTHONS } from "./python-versions.js";
import { checkWhole } from "./scenario-checks.js";
import { signatureProblem } from "./signature.js";

const pep440Version = z.string().refine((v) => isPep440(v) !== null, { message: "not a PEP 440 version" });

/**
 * A failure signature: matched against every output line of every cell, so it must compile in
 * RE2 (the linear-time engine the harness matches with) and in JavaScript (the report marks
 * matches with it), must contain some literal text (`.` or `\w` would match every line), and
 * must not backtrack badly where JavaScript matches it (signature.ts says why each).
 */
const regex = z
  .string({ error: 'a regular expression as a quoted string, such as "RuntimeError: Event loop is closed"' })
  .max(1000, "longer than 1000 characters; a signature is one distinctive line of a log")
  .superRefine((source, ctx) => {
    const problem = signatureProblem(source);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/**
 * A single value or a list, so `gunicorn: 23.0.0` and `gunicorn: [22.0.0, 23.0.0]` both read.
 * Wrapping first (rather than a union) keeps each item's own error message and index.
 */
const oneOrMany = <T extends z.ZodType>(item: T, max: number) =>
  z.preprocess(
    (v) => (Array.isArray(v) || v === undefined ? v : [v]),
    z
      .array(item)
      .min(1, "an empty list: an axis needs at least one value (leave the field out for its default)")
      .max(max, `more than ${max} values`),
  );

/**
 * A package axis: exact versions (`0.11.4` or a list), every release (`all`), or a PEP 440
 * range (`">=0.2,<0.12"`) expanded from the index's release list before the run.
 */
const RANGE_START = /^\s*(===|==|!=|~=|<=|>=|<|>)/;
const CLAUSE = /^\s*(===|==|!=|~=|<=|>=|<|>)\s*([^\s,]+)\s*$/;
/** Each comma-separated clause is an operator and a PEP 440 version (== and != may end in .*). */
const isVersionRange = (spec: string) =>
  spec.split(",").every((clause) => {
    const m = clause.match(CLAUSE);
    if (!m) return false;
    const version = m[1] === "==" || m[1] === "!=" ? (m[2] as string).replace(/\.\*$/, "") : (m[2] as string);
    return isPep440(version) !== null;
  }) && validRange(spec) !== null;

type Bound = { version: string; inclusive: boolean; clause: string };
/** The version a prefix such as 1.4 (from ==1.4.* or ~=1.4.5) ends below: 1.5.dev0. */
const nextPrefix = (release: number[]) => `${[...release.slice(0, -1), (release.at(-1) ?? 0) + 1].join(".")}.dev0`;

/**
 * Why a valid range admits no version at all (">=0.12,<0.11": the bounds swapped), if it does
 * not: its bounds are intersected in PEP 440 order. Expanded against the index it would only
 * say "no release matches" after a network round trip; the file is what is wrong.
 */
function emptyRange(spec: string): string | undefined {
  let lower: Bound | undefined;
  let upper: Bound | undefined;
  const excluded: string[] = [];
  const raise = (b: Bound) => {
    const c = lower ? compare(b.version, lower.version) : 1;
    if (c > 0 || (c === 0 && !b.inclusive)) lower = b;
  };
  const cap = (b: Bound) => {
    const c = upper ? compare(b.version, upper.version) : -1;
    if (c < 0 || (c === 0 && !b.inclusive)) upper = b;
  };
  for (const raw of spec.split(",")) {
    const [, op, v = ""] = raw.match(CLAUSE) ?? [];
    const clause = `${op}${v}`;
    const parts = explain(v.replace(/\.\*$/, ""));
    if (parts?.epoch !== 0) continue; // unparsed, or an epoch: rare enough to leave to the index
    if (op === ">=" || op === ">") raise({ version: v, inclusive: op === ">=", clause });
    else if (op === "<=" || op === "<") cap({ version: v, inclusive: op === "<=", clause });
    else if (op === "==" && v.endsWith(".*")) {
      raise({ version: `${parts.release.join(".")}.dev0`, inclusive: true, clause });
      cap({ version: nextPrefix(parts.release), inclusive: false, clause });
    } else if (op === "==") {
      raise({ version: v, inclusive: true, clause });
      cap({ version: v, inclusive: true, clause });
    } else if (op === "~=") {
      raise({ version: v, inclusive: true, clause });
      cap({ version: nextPrefix(parts.release.slice(0, -1)), inclusive: false, clause });
    } else if (op === "!=" && !v.endsWith(".*")) excluded.push(v);
  }
  if (!lower || !upper) return undefined;
  const c = compare(lower.version, upper.version);
  const both = `nothing is ${lower.clause} and ${upper.clause} at once`;
  if (c > 0) return /^>/.test(lower.clause) && /^</.test(upper.clause) ? `${both}; are the bounds swapped?` : both;
  if (c < 0) return undefined;
  if (!(lower.inclusive && upper.inclusive)) return both;
  const only = lower.version;
  return excluded.some((x) => compare(x, only) === 0) ? `it allows only ${only}, which it also excludes` : undefined;
}
const versionAxis = z
  .union(
    [
      z.string().max(500),
      z.array(z.string().max(100)).max(1000).min(1, 'an empty list: give at least one version, "all", or a range such as ">=0.2,<0.12"'),
    ],
    {
      error: 'versions as strings: "0.11.4", a list of them, "all", or a range such as ">=0.2,<0.12" (quote numbers like 0.11)',
    },
  )
  .transform((v, ctx) => {
    if (v === "all") return { select: "all" as const };
    if (typeof v === "string" && RANGE_START.test(v)) {
      if (!isVersionRange(v)) ctx.addIssue({ code: "custom", message: `"${v}" is not a PEP 440 version range` });
      else {
        const why = emptyRange(v);
        if (why) ctx.addIssue({ code: "custom", message: `"${v}" matches no version: ${why}` });
      }
      return { select: v.trim() };
    }
    const versions = Array.isArray(v) ? v : [v];
    versions.forEach((version, i) => {
      const at = Array.isArray(v) ? { path: [i] } : {};
      if (isPep440(version) === null) ctx.addIssue({ code: "custom", message: `"${version}" is not a PEP 440 version`, ...at });
      // 0.11.4 and 0.11.4.0 are one release: listed twice, its cells would run and count twice.
      else {
        const same = versions.findIndex((w, j) => j < i && isPep440(w) !== null && compare(w, version) === 0);
        if (same >= 0)
          ctx.addIssue({
            code: "custom",
            message: `"${version}" is the same version as "${versions[same]}" (item ${same}) under PEP 440; list it once`,
            ...at,
          });
      }
    });
    return { versions };
  });
export type VersionAxis = z.output<typeof versionAxis>;

/** A worker class: a dotted Python path (identifiers joined by dots), or one its own package brings. */
const dottedPath = z
  .string({ error: "a dotted path such as uvicorn.workers.UvicornWorker" })
  .max(200, "longer than 200 characters: a dotted path such as uvicorn.workers.UvicornWorker")
  .regex(/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/, "a dotted path such as uvicorn.workers.UvicornWorker");
const workerClass = z.preprocess(
  (v) => (typeof v === "string" ? { class: v } : v),
  z
    .strictObject(
      { class: dottedPath, package: requirement(false).optional() },
      { error: "a dotted path, or { class: <dotted path>, package: <requirement> }" },
    )
    .transform((w) => (w.package ? { path: w.class, package: w.package } : { path: w.class })),
);
export type WorkerClass = z.output<typeof workerClass>;

/** YAML reads `3.10` as the number 3.1, so Python versions must be quoted; say so rather than guess. */
const pythonVersion = z
  .string()
  .regex(/^3\.\d{1,2}$/, 'a Python 3 version as a quoted string such as "3.9"')
  .refine((v) => Number(v.slice(2)) >= 5, {
    error: (issue) =>
      `Python ${issue.input} predates async/await and every uvicorn; if you wrote ${issue.input}0 unquoted, YAML read it as ${issue.input}: quote it ("${issue.input}0")`,
    abort: true,
  })
  .refine((v) => KNOWN_PYTHONS.includes(v), {
    error: (issue) => `Python ${issue.input} is not a CPython release (known: ${KNOWN_PYTHONS.join(", ")})`,
  });

/**
 * An image reference as Docker parses it (`[registry[:port]/]name[:tag][@digest]`), written so
 * that no part can be read two ways (no backtracking on a long value).
 */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const HOST = "[a-zA-Z0-9]+(?:-+[a-zA-Z0-9]+)*(?:\\.[a-zA-Z0-9]+(?:-+[a-zA-Z0-9]+)*)*(?::[0-9]+)?";
const IMAGE_REFERENCE = new RegExp(
  `^(?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*(?::\\w[\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);
/** A host interpreter's prefix: an absolute path of plain characters (it goes into a Dockerfile and PATH). */
const HOST_PREFIX = /^host:\/[\w.+@/-]*$/;
const baseImage = z
  .string()
  .max(255, "longer than 255 characters: debian:<suite>, pyenv, host:<prefix> or an image reference such as python:3.9-slim")
  .refine((b) => /^debian:[a-z]+$/.test(b) || b === "pyenv" || HOST_PREFIX.test(b) || (!b.startsWith("host:") && IMAGE_REFERENCE.test(b)), {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is none of debian:<suite> (e.g. debian:bookworm, built offline), pyenv, host:<absolute prefix> (an interpreter of this machine) or an image reference such as python:3.9-slim`,
  });

export const PythonSettings = z.strictObject({
  /**
   * Where the base image comes from: `debian:<suite>` builds it offline with debootstrap
   * (no registry needed); `pyenv` (pyenv's newest install of that version) or `host:<prefix>`
   * copies an interpreter built on this machine into its Debian suite, and the local runtime runs
   * that same interpreter; anything else is a registry image name such as `python:3.9-slim`.
   */
  base: baseImage,
  /**
   * Bases to use, in order, when `base` cannot be had on this machine: no such interpreter in
   * pyenv, a host that is not Debian, no registry. A catalog written on a machine with pyenv and
   * no registry (`base: pyenv`) then runs in CI on registry images
   * (`fallback: ["python:3.7-slim"]`). Each cell records the image it ran on.
   */
  fallback: z.array(baseImage).min(1).max(4).optional(),
  /** For the local runtime: the interpreter to use instead of python<version> from PATH. */
  hostPython: z.string().min(1).max(500).optional(),
});

export const Resolution = z.strictObject({
  /**
   * latest: the newest dependencies that install on that Python, as of the run's day.
   * as-of-release: nothing uploaded after the anchor package's release (uv --exclude-newer);
   * the other axis packages and the installer (pip, setuptools, wheel) are pinned or exempt.
   */
  strategy: z.enum(["latest", "as-of-release"]).default("as-of-release"),
  /** Whose release date is the cut-off. */
  anchor: packageName.default("uvicorn"),
  /**
   * Packages that may be lifted past the cut-off (to the newest allowed by constraints) when the
   * env cannot be resolved or built otherwise; every lift is recorded in the lock.
   */
  allowNewer: z.array(packageName).max(100).default([]),
});

export const Index = z.strictObject({
  /** A PEP 503/691 simple index. */
  url: z.url().default("https://pypi.org/simple"),
  /** Further indexes, searched before `url` (as uv does), e.g. a company's private index. */
  extraUrls: z.array(z.url().max(2000)).max(20).default([]),
  /** Local folders of wheels/sdists, relative to matrix.yaml. */
  findLinks: z.array(z.string().min(1).max(1000)).max(20).default([]),
});

export const Releases = z.strictObject({
  /** Whether `all` and ranges include pre-releases and yanked releases. */
  prereleases: z.boolean().default(false),
  yanked: z.boolean().default(false),
});

/** A whole number in [min, max], saying so in one message whatever is wrong with it. */
const wholeNumber = (min: number, max: number, what: string) => {
  const message = `${what}: a whole number from ${min} to ${max}`;
  return z.number({ error: message }).int(message).min(min, message).max(max, message);
};

/**
 * Seconds in (0, max]. Node's timers hold at most 2^31-1 ms (24.8 days) and fire at once past
 * it, so a typo such as 1e9 would end a cell immediately; the caps are far above any real need.
 */
const seconds = (max: number, what: string) =>
  z
    .number({ error: `${what}: a number of seconds above 0, at most ${max}` })
    .positive(`${what}: a number of seconds above 0, at most ${max}`)
    .max(max, `${what}: a number of seconds above 0, at most ${max}`);

export const Probes = z.strictObject({
  path: z
    .string()
    .max(2000)
    .regex(/^\/[^\s]*$/, 'a URL path starting with "/" and without spaces, such as /health')
    .default("/"),
  /** Requests sent after the server is ready (each is a round trip: thousands is already a lot). */
  count: wholeNumber(1, 10_000, "requests sent per server").default(64),
  /** Requests in flight at once; more than a few per worker measures the client, not the server. */
  concurrency: wholeNumber(1, 256, "requests in flight at once").default(8),
  expectedStatus: z.number().int().min(100).max(599).default(200),
  /**
   * Seconds to keep probing (after `count`) for workers that have not answered yet. Readiness is
   * the first answer, while later workers may still be booting; they get this long to show up.
   */
  coverageSeconds: z
    .number({ error: "seconds to wait for workers not yet seen: from 0 to 3600" })
    .min(0, "seconds to wait for workers not yet seen: from 0 to 3600")
    .max(3600, "seconds to wait for workers not yet seen: from 0 to 3600")
    .default(10),
});

export const Timeouts = z
  .strictObject({
    /** Seconds from container start until the first HTTP answer. */
    bootSeconds: seconds(3600, "seconds until the first answer").default(60),
    /** Seconds for one probe request. */
    requestSeconds: seconds(600, "seconds for one request").default(10),
    /** Seconds for the whole cell, boot to stop (it includes the boot). */
    cellSeconds: seconds(6 * 3600, "seconds for the whole cell").default(180),
    /** Seconds Gunicorn gets to shut down gracefully before it is killed. */
    stopSeconds: seconds(600, "seconds to shut down").default(10),
  })
  .superRefine((t, ctx) => {
    // The cell's deadline covers its boot: a longer boot limit could never be reached.
    if (t.bootSeconds >= t.cellSeconds)
      ctx.addIssue({
        code: "custom",
        path: ["bootSeconds"],
        message: `${t.bootSeconds} is not below cellSeconds (${t.cellSeconds}), which includes the boot; raise cellSeconds or lower bootSeconds`,
      });
  });

/** What one cell's server may use (docker runtime; the local runtime applies what it can, see README). */
export const Limits = z.strictObject({
  /** Memory for the whole server (master and workers); past it the kernel kills a worker (OOM). */
  memoryMiB: z.number().int().min(128).max(65_536).default(1024),
  /**
   * CPU quota for the whole server, in CPUs (docker). A cell that spins cannot take the machine
   * from the cells beside it; one CPU still lets 8 workers boot and answer well within the timeouts.
   */
  cpus: z
    .number({ error: "CPUs the server may use: from 0.1 to 256" })
    .min(0.1, "CPUs the server may use: from 0.1 to 256")
    .max(256, "CPUs the server may use: from 0.1 to 256")
    .default(1),
});

// ── checks: when a cell counts as reproduced; steps: what happens to the server after it is ready ──

/**
 * One kind out of several, told apart by which key an item has (`{ requests: 20 }`,
 * `{ signal: HUP }`): the item is then held to that kind's fields alone, so a mistake is
 * reported against the kind the file meant rather than as "matches none of N shapes".
 */
const oneKindOf = <K extends Record<string, z.ZodType>>(what: string, kinds: K) =>
  z.unknown().transform((value, ctx): z.output<K[keyof K]> => {
    const present = value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value).filter((k) => k in kinds) : [];
    const [kind] = present;
    if (present.length !== 1 || kind === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `${present.length > 1 ? `${present.join(" and ")} in one ${what}; give one per item` : `a ${what} is a mapping with one of`}: ${Object.keys(kinds).join(", ")}`,
      });
      return z.NEVER;
    }
    // The file's terms for zod's own messages, as load.ts asks for the whole scenario.
    const parsed = (kinds[kind] as z.ZodType).safeParse(value, { reportInput: true, error: plainMessage });
    if (parsed.success) return parsed.data as z.output<K[keyof K]>;
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path } as z.core.$ZodRawIssue);
    return z.NEVER;
  });

/**
 * A bound on a measured number: the check fires when the value meets every comparison given
 * (`{ moreThan: 5 }`, `{ atLeast: 2, atMost: 4 }`). At least one, and some value must meet them all.
 */
const CheckBound = z
  .strictObject({
    lessThan: z.number().min(0).optional(),
    atMost: z.number().min(0).optional(),
    moreThan: z.number().min(0).optional(),
    atLeast: z.number().min(0).optional(),
    equals: z.number().min(0).optional(),
  })
  .superRefine((b, ctx) => {
    const given = Object.values(b).filter((v) => v !== undefined);
    if (given.length === 0) {
      ctx.addIssue({ code: "custom", message: "a bound needs one of lessThan, atMost, moreThan, atLeast, equals" });
      return;
    }
    const low = Math.max(b.moreThan ?? -1, b.atLeast ?? -1, b.equals ?? -1);
    const high = Math.min(b.lessThan ?? Infinity, b.atMost ?? Infinity, b.equals ?? Infinity);
    const open = (b.moreThan !== undefined && b.moreThan === low) || (b.lessThan !== undefined && b.lessThan === high);
    if (low > high || (low === high && open))
      ctx.addIssue({ code: "custom", message: "no value meets all of these at once, so the check could never fire" });
  });
export type CheckBound = z.output<typeof CheckBound>;

/** Where a line check looks: one phase of the server, or one step (by its number, from 1). */
const linePlace = {
  /** boot (start to first answer), probe (the default probes; absent with steps:), shutdown (stop to exit). */
  phase: z.enum(["boot", "probe", "shutdown"]).optional(),
  /** The phase of step N of `steps:`. */
  step: wholeNumber(1, 50, "a step's number, from 1").optional(),
};

/** A status check's key: an exact status (500), a class (5xx), "error" (no answer at all), or a client error code (UND_ERR_SOCKET). */
const statusKey = z
  .string()
  .regex(
    /^(?:[1-5]\d\d|[1-5]xx|error|[A-Z][A-Z0-9_]{0,63})$/,
    'a status such as "500", a class such as "5xx", "error" (no answer), or an error code such as UND_ERR_SOCKET',
  );

/**
 * One condition for "reproduced", judged on what the cell showed. Every check is recorded in the
 * cell's evidence: fired, quiet, or not judged (the cell never got where it could be judged).
 */
export const Check = oneKindOf("check", {
  /** A line matching this regular expression appeared (in `phase` or `step`, if given): what `signatures:` means. */
  signature: z.strictObject({ signature: regex, ...linePlace }),
  /**
   * No line matched, in `phase` or `step` (else in the whole run). Judged only once the cell has
   * been through that phase (for the whole run: booted, served, and stopped): a line a crashed
   * boot never got to print is not missing.
   */
  missingLine: z.strictObject({ missingLine: regex, ...linePlace }),
  /** Distinct worker pids that answered with the expected status (in `step`, else in the whole cell). */
  workersServed: z.strictObject({ workersServed: CheckBound, step: linePlace.step }),
  /** Responses per status (or per kind of failure, see statusKey); fires when every given count meets its bound. */
  status: z.strictObject({
    status: z
      .record(statusKey, CheckBound)
      .refine((r) => Object.keys(r).length > 0, 'no status: give one such as { "500": { atLeast: 1 } }'),
    step: linePlace.step,
  }),
  /** Seconds from the server's start until its first HTTP answer. */
  bootSeconds: z.strictObject({ bootSeconds: CheckBound }),
  /** Seconds from the stop (SIGTERM to the master) until the server had exited. */
  shutdownSeconds: z.strictObject({ shutdownSeconds: CheckBound }),
  /** The largest worker's resident memory (MiB), read from /proc once the probes or steps are done. */
  workerRssMiB: z.strictObject({ workerRssMiB: CheckBound }),
});
export type Check = z.output<typeof Check>;

/** Signals a step may send; TTIN and TTOU are Gunicorn's "one worker more / less", HUP its reload. */
export const SIGNALS = ["HUP", "TERM", "INT", "QUIT", "KILL", "TTIN", "TTOU", "USR1", "USR2", "WINCH"] as const;
const SignalTo = z.strictObject({
  signal: z.enum(SIGNALS),
  /** master: Gunicorn's arbiter; worker: one of its workers (the oldest still running). */
  to: z.enum(["master", "worker"]).default("master"),
});
const urlPath = z
  .string()
  .max(2000)
  .regex(/^\/[^\s]*$/, 'a URL path starting with "/" and without spaces, such as /health');

/** One thing done to the server after it is ready; each step's log lines carry its phase, "step N (...)". */
export const Step = oneKindOf("step", {
  /**
   * Send N requests (the scenario's probe path and concurrency unless given). With `during`, all N
   * are sent at once and the signal follows once every one has been sent and `afterSeconds` have
   * passed, while their answers are still due.
   */
  requests: z.strictObject({
    requests: wholeNumber(1, 10_000, "requests sent by the step"),
    path: urlPath.optional(),
    concurrency: wholeNumber(1, 256, "requests in flight at once").optional(),
    during: SignalTo.extend({ afterSeconds: z.number().min(0).max(60).default(0.5) }).optional(),
  }),
  /** The default probes again (`probes:`), with any of these changed; `workers` is how many distinct pids to wait for. */
  probe: z.strictObject({
    probe: z.strictObject({
      path: urlPath.optional(),
      count: wholeNumber(1, 10_000, "requests sent per probe").optional(),
      coverageSeconds: z.number().min(0).max(3600).optional(),
      workers: wholeNumber(1, 256, "workers the probe waits to hear from").optional(),
    }),
  }),
  /** Send a signal to the master or to a worker. */
  signal: SignalTo,
  /**
   * Wait until `count` lines matching `line` have appeared since the step before this one began
   * (so the lines a signal causes count, however fast they come), or `timeoutSeconds` pass.
   */
  wait: z.strictObject({
    wait: z.strictObject({
      line: regex,
      count: wholeNumber(1, 256, "lines to wait for").default(1),
      timeoutSeconds: seconds(600, "seconds to wait for the line").default(30),
    }),
  }),
  /** Do nothing for this many seconds (the server's output is still read). */
  sleep: z.strictObject({ sleep: seconds(600, "seconds to sleep") }),
});
export type Step = z.output<typeof Step>;

/** Where checks and steps refer to each other or to the run: the parts one item alone cannot check. */
function checkChecksAndSteps(s: { signatures: string[]; checks?: Check[] | undefined; steps?: Step[] | undefined }, ctx: z.RefinementCtx) {
  const steps = s.steps ?? [];
  if (s.signatures.length === 0 && !s.checks?.length)
    ctx.addIssue({
      code: "invalid_type",
      expected: "array",
      input: undefined,
      path: ["signatures"],
      message: "required field is missing (or give checks:)",
    } as z.core.$ZodRawIssue);
  if (s.steps && !steps.some((st) => "requests" in st || "probe" in st))
    ctx.addIssue({
      code: "custom",
      path: ["steps"],
      message: "no step sends a request: a cell is clean only when its workers served, so add { probe: {} } or { requests: N }",
    });
  for (const [i, c] of (s.checks ?? []).entries()) {
    const at = (field: string) => ["checks", i, field];
    if ("step" in c && c.step !== undefined && "phase" in c && c.phase !== undefined)
      ctx.addIssue({ code: "custom", path: at("step"), message: "give phase or step, not both" });
    if ("phase" in c && c.phase === "probe" && s.steps)
      ctx.addIssue({ code: "custom", path: at("phase"), message: "with steps: there is no probe phase; name a step (step: N)" });
    if ("step" in c && c.step !== undefined) {
      const step = steps[c.step - 1];
      if (!step) ctx.addIssue({ code: "custom", path: at("step"), message: `there is no step ${c.step} (steps: has ${steps.length})` });
      else if (("workersServed" in c || "status" in c) && !("requests" in step || "probe" in step))
        ctx.addIssue({ code: "custom", path: at("step"), message: `step ${c.step} sends no request; name a requests or probe step` });
    }
  }
}

const NO_VALUES = "an empty list: an axis needs at least one value (leave the field out for its default)";

/** An app's short name: it is in every cell id, so lowercase letters, digits and dashes, and short. */
const APP_NAME = /^[a-z][a-z0-9-]*$/;
const appName = z
  .string()
  .max(40, "longer than 40 characters: an app's name is in every cell id; give a short one")
  .regex(APP_NAME, "lowercase letters, digits and dashes, such as plain-text");

/** `apps/plain_text.py:app` or `apps/plain_text.py` (object `app`). */
function appFromText(text: string): { path: string; object?: string } {
  const colon = text.lastIndexOf(":");
  return colon > 0 && !text.slice(colon + 1).includes("/") ? { path: text.slice(0, colon), object: text.slice(colon + 1) } : { path: text };
}

/** plain_text.py -> plain-text: the name an app gets when the scenario gives it none. */
const nameOfPath = (path: string) => (path.split("/").at(-1) ?? "").replace(/\.py$/, "").toLowerCase().replaceAll("_", "-");

/**
 * An app: a fixture by name (a module in images/apps), or the scenario's own: a Python file
 * (its module, imported with the file's folder as the working folder and on sys.path) and the
 * ASGI app object in it. Output: `{ name, object }` for a fixture, plus `path` for an own app.
 */
const appSpec = z.preprocess(
  (v) => (typeof v !== "string" ? v : APP_NAME.test(v) ? { name: v } : appFromText(v)),
  z
    .strictObject(
      {
        /** The app's name in cell ids, labels and filters (default: the file's name, plain_text.py -> plain-text). */
        name: appName.optional(),
        /** A .py file, relative to the scenario file; its folder is placed whole next to it. */
        path: z
          .string()
          .max(1000)
          .regex(/^[^\0]*\.py$/, "a Python file relative to the scenario file, such as apps/plain_text.py")
          .refine(
            (p) => /^[A-Za-z_]\w*\.py$/.test(p.split("/").at(-1) ?? ""),
            "the file's name must be a Python module's (letters, digits, underscores), such as plain_text.py",
          )
          .optional(),
        /** The ASGI app in the module: a name, or a dotted attribute path (default app). */
        object: z
          .string()
          .max(200)
          .regex(/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/, "a Python name in the module, such as app")
          .optional(),
      },
      { error: "a fixture's name (plain), a file and object (apps/plain_text.py:app), or { name, path, object }" },
    )
    .superRefine((a, ctx) => {
      if (!a.name && !a.path) ctx.addIssue({ code: "custom", message: "an app needs a path (its own) or a name (a fixture)" });
      if (a.object && !a.path)
        ctx.addIssue({ code: "custom", path: ["object"], message: "a fixture's object is always app; give a path for an app of your own" });
      if (a.path && !a.name && !APP_NAME.test(nameOfPath(a.path)))
        ctx.addIssue({
          code: "custom",
          path: ["name"],
          message: `cannot make a name of ${a.path}: give the app a name (lowercase letters, digits, dashes)`,
        });
    })
    .transform((a) => ({ name: a.name ?? nameOfPath(a.path ?? ""), object: a.object ?? "app", ...(a.path ? { path: a.path } : {}) })),
);
export type AppSpec = z.output<typeof appSpec>;

/** An app's requirement: pinned to one version, so every env of every run installs the same one. */
const pinnedRequirement = z
  .string()
  .max(500)
  .refine(
    // Each part can match one way only: no backtracking on a long value.
    (r) => /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\s*\[[A-Za-z0-9._, -]*\])?\s*==\s*[A-Za-z0-9][A-Za-z0-9.!+_-]*$/.test(r),
    "a pinned requirement such as starlette==0.37.2 (the app's dependencies are pinned; a package whose versions vary is a package axis)",
  );

/** A Gunicorn argument: one argv item, as Gunicorn will get it. */
const gunicornArg = z
  .string({ error: 'an argument as a string (quote numbers: "2")' })
  .max(1000, "longer than 1000 characters")
  .refine((a) => !/[\0\n\r]/.test(a), "an argument without NUL or line breaks");

const gunicornArgList = z
  .array(gunicornArg, { error: 'a list of arguments, such as ["--graceful-timeout", "2"]' })
  .max(64, "more than 64 arguments")
  .superRefine((args, ctx) => {
    args.forEach((arg, i) => {
      const owned = ownedOption(arg);
      if (owned)
        ctx.addIssue({
          code: "custom",
          path: [i],
          message: `${JSON.stringify(arg)} sets ${owned}, which the harness sets for every cell (use workers:, workerClasses:, preload: for those)`,
        });
    });
    const config = configFileArg(args);
    if (config && (config.path === "" || config.path.startsWith("/") || config.path.split("/").includes("..")))
      ctx.addIssue({
        code: "custom",
        path: [config.index],
        message: `a config file is a path inside the scenario's folder, relative to the scenario file, such as gunicorn.conf.py${config.path ? ` (not ${config.path})` : ""}`,
      });
  });

/** Variables the runtimes set for every server; the env axis may not replace them. */
const HARNESS_ENV = ["PATH", "HOME", "LANG", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"];
const envName = z
  .string()
  .max(200)
  .regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable's name: uppercase letters, digits and underscores, such as PYTHONASYNCIODEBUG")
  .refine((n) => !HARNESS_ENV.includes(n) && !n.startsWith("REPRO_MATRIX_"), {
    error: (issue) => `${issue.input} is the harness's own (${HARNESS_ENV.join(", ")} and REPRO_MATRIX_* are set for every server)`,
  })
  // Gunicorn reads options from it (--preload among them) behind the cell's back.
  .refine((n) => n !== "GUNICORN_CMD_ARGS", "GUNICORN_CMD_ARGS would change the cell's Gunicorn options unseen; use gunicornArgs:");
const envMap = z.record(
  envName,
  z
    .string({ error: 'a string (quote numbers and booleans: "1")' })
    .max(10_000, "longer than 10000 characters")
    .refine((v) => !v.includes("\0"), "a value without NUL"),
  { error: 'a map of names to values, such as { PYTHONASYNCIODEBUG: "1" }' },
);

export const Scenario = z
  .strictObject({
    /** Names the report folder: reports/<scenario>/. */
    scenario: z
      .string({ error: "a name for reports/<scenario>/: lowercase letters, digits and dashes" })
      .max(64, "longer than 64 characters: a short folder name for reports/<scenario>/")
      // It becomes a folder under reports/: no slash, no dot, so never `..` or a path elsewhere.
      .regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and dashes only (it names the folder reports/<scenario>/)"),
    description: z.string().max(10_000, "longer than 10000 characters; a description is a paragraph").optional(),
    /**
     * The fix page this scenario keeps current, relative to this file: `repro-matrix nightly`
     * rewrites its measured fields (table, first fixed release, reproduced locally, last verified).
     */
    page: z.string().min(1).max(500).optional(),
    /** Package axes: uvicorn and gunicorn always, and any other package (an app's driver, say). */
    packages: z.record(packageName, versionAxis).superRefine((p, ctx) => {
      for (const name of ["uvicorn", "gunicorn"])
        if (!(name in p)) ctx.addIssue({ code: "custom", path: [name], message: "required field is missing" });
      if (Object.keys(p).length > 16) ctx.addIssue({ code: "custom", message: "more than 16 package axes" });
    }),
    /**
     * Extras installed with a package axis, e.g. `{ uvicorn: [standard] }`: since uvicorn 0.12,
     * uvloop and httptools (what UvicornWorker runs on when present) come only with [standard].
     * A version without the extra installs without it (the resolver warns); the lock shows which.
     */
    packageExtras: z.record(packageName, z.array(extraName).max(20)).default({}),
    releases: Releases.default(Releases.parse({})),
    resolution: Resolution.default(Resolution.parse({})),
    index: Index.default(Index.parse({})),
    python: z
      .record(pythonVersion, PythonSettings)
      .refine((r) => Object.keys(r).length > 0, 'no Python version: add one such as "3.9": { base: "debian:bullseye" }'),
    /**
     * Which of those Pythons a release runs on. `every` (the default): each cell on every one.
     * `era`: each release of the claim's package (else the anchor's) on the Python its users ran,
     * the newest of them released before it that its Requires-Python allows and this machine has;
     * a release no cell could test there is tried on the others it allows, older ones first.
     */
    pythonPolicy: z
      .enum(["every", "era"], { error: "every (each cell on every listed Python) or era (each release on the Python of its day)" })
      .default("every"),
    /**
     * Requirement constraints applied to every env's resolution (e.g. `uvloop<0.22`): the only way a
     * dependency differs from the newest one, and it is recorded in each lock.
     */
    constraints: z.array(requirement(true)).max(100).default([]),
    /** Packages that must come as wheels (never built from sdist in the image), e.g. uvloop. */
    onlyBinary: z.array(packageName).max(100).default([]),
    workerClasses: oneOrMany(workerClass, 32),
    /** Whether Gunicorn runs with --preload (YAML 1.2: `yes`/`no` are strings, not booleans). */
    preload: oneOrMany(z.boolean({ error: "true or false" }), 2).default([false, true]),
    /** Gunicorn workers per server; each is a process in a 1 GiB server by default. */
    workers: oneOrMany(wholeNumber(1, 64, "Gunicorn workers per server"), 16).default([8]),
    /**
     * The apps each cell serves, one axis: a fixture by name (a module in images/apps), or the
     * scenario's own app by a path relative to the scenario file (`apps/plain_text.py:app`, or
     * `{ name, path, object }`).
     */
    apps: oneOrMany(appSpec, 64),
    /**
     * The apps' own dependencies, pinned (`starlette==0.37.2`): installed into every env and
     * recorded in its lock, never an axis.
     */
    requirements: z.array(pinnedRequirement).max(100).default([]),
    /**
     * Gunicorn arguments beyond the harness's own, one axis: a list of argument lists
     * (`[[], ["--graceful-timeout", "2"]]`; one list alone is one value). A config file
     * (`--config gunicorn.conf.py`) is a path relative to the scenario file, placed next to the app.
     */
    gunicornArgs: z
      .preprocess(
        (v) => (Array.isArray(v) && v.every((a) => typeof a === "string") ? [v] : v),
        z.array(gunicornArgList).min(1, NO_VALUES).max(16, "more than 16 values"),
      )
      .default([[]]),
    /**
     * Environment variables for the server, one axis: a map (one value) or a list of maps
     * (`[{}, { PYTHONASYNCIODEBUG: "1" }]`). Never the harness's own variables.
     */
    env: z
      .preprocess(
        (v) => (typeof v === "object" && v !== null && !Array.isArray(v) ? [v] : v),
        z.array(envMap).min(1, NO_VALUES).max(16, "more than 16 values"),
      )
      .default([{}]),
    probes: Probes.default(Probes.parse({})),
    /** Regular expressions; a match on any output line means reproduced (shorthand for signature checks). */
    signatures: oneOrMany(regex, 32).default([]),
    /** When a cell counts as reproduced: any check that fires (with `signatures:` as signature checks first). */
    checks: z.array(Check).min(1).max(50).optional(),
    /** What happens after the server is ready, in order, instead of the default probes. */
    steps: z.array(Step).min(1).max(50).optional(),
    timeouts: Timeouts.default(Timeouts.parse({})),
    /**
     * Runs of each cell, each in a fresh server. Trials that disagree make the cell "flaky", with
     * its reproduction rate; a flaky cell is never Fixed.
     */
    trials: z.number().int().min(1).max(20).default(1),
    limits: Limits.default(Limits.parse({})),
    /** The published claim the run checks, e.g. a fix page's "first fixed release". */
    claim: z
      .strictObject({
        text: z.string().max(2000, "longer than 2000 characters; the claim is a sentence or two"),
        /** The package whose releases the claim is about (a package axis). */
        package: z.string().max(200).default("uvicorn"),
        /** The failure signature the claim is about; absent: the scenario's first signature. */
        signature: regex.optional(),
        firstFixed: pep440Version,
        /** Only cells with these settings count for the claim (e.g. preload: true). */
        when: z
          .strictObject({
            preload: z.boolean().optional(),
            app: z.string().max(64).optional(),
            workerClass: z.string().max(200).optional(),
          })
          .default({}),
      })
      .optional(),
  })
  .superRefine(checkChecksAndSteps)
  .superRefine((s, ctx) => {
    // The cut-off is the anchor's release date, so the anchor must be a package the matrix pins.
    const axes = Object.keys(s.packages);
    for (const name of Object.keys(s.packageExtras))
      if (!axes.some((n) => normalizeName(n) === normalizeName(name)))
        ctx.addIssue({
          code: "custom",
          path: ["packageExtras", name],
          message: `"${name}" is not one of the package axes (${axes.join(", ")})`,
        });
    if (s.claim && !axes.some((n) => normalizeName(n) === normalizeName(s.claim?.package ?? "")))
      ctx.addIssue({
        code: "custom",
        path: ["claim", "package"],
        message: `"${s.claim.package}" is not one of the package axes (${axes.join(", ")}); a claim is about the versions of one of them`,
      });
    if (!axes.some((n) => normalizeName(n) === normalizeName(s.resolution.anchor)))
      ctx.addIssue({
        code: "custom",
        path: ["resolution", "anchor"],
        message: `"${s.resolution.anchor}" is not one of the package axes (${axes.join(", ")})`,
      });
    checkWhole(s, ctx);
  })
  .superRefine((s, ctx) => {
    // Names are in cell ids, and values make cells: the same one twice would be one cell twice.
    const seen = new Map<string, number>();
    s.apps.forEach((a, i) => {
      const first = seen.get(a.name);
      if (first !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["apps", i],
          message: `a second app named ${a.name} (apps[${first}]); give each app its own name`,
        });
      seen.set(a.name, i);
    });
    const axes = Object.keys(s.packages).map(normalizeName);
    s.requirements.forEach((r, i) => {
      const name = normalizeName(r.split(/[\s[=]/, 1)[0] as string);
      if (axes.includes(name))
        ctx.addIssue({
          code: "custom",
          path: ["requirements", i],
          message: `${name} is a package axis (packages:); requirements are the app's other dependencies`,
        });
    });
    for (const [field, values] of [
      ["gunicornArgs", s.gunicornArgs.map((a) => JSON.stringify(a))],
      ["env", s.env.map((e) => JSON.stringify(Object.entries(e).sort()))],
    ] as const)
      values.forEach((v, i) => {
        const j = values.indexOf(v);
        if (j < i)
          ctx.addIssue({ code: "custom", path: [field, i], message: `the same as ${field}[${j}]: each value makes its own cells` });
      });
  });

export type Scenario = z.output<typeof Scenario> & {
  /** The scenario file's folder, set by the loader: apps and config files are relative to it (absent: the working folder). */
  dir?: string;
};
