import { valid as isPep440, validRange } from "@renovatebot/pep440";
import { z } from "zod";
import { normalizeName } from "../package-name.js";

const pep440Version = z.string().refine((v) => isPep440(v) !== null, { message: "not a PEP 440 version" });

const regex = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `not a valid regular expression (${(err as Error).message})` });
  }
});

/**
 * A single value or a list, so `gunicorn: 23.0.0` and `gunicorn: [22.0.0, 23.0.0]` both read.
 * Wrapping first (rather than a union) keeps each item's own error message and index.
 */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (Array.isArray(v) || v === undefined ? v : [v]), z.array(item).min(1));

/** PEP 503 project names as written; compared normalized (lowercase, runs of -_. as one dash). */
const packageName = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, "a package name such as uvicorn");

/** A requirement: a name, optionally with version bounds (`uvicorn-worker`, `uvicorn-worker==0.3.0`). */
const requirement = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?(\s*(===|==|!=|~=|<=|>=|<|>)\s*[^\s;,]+(\s*,\s*(===|==|!=|~=|<=|>=|<|>)\s*[^\s;,]+)*)?$/,
    "a requirement such as uvicorn-worker or uvicorn-worker==0.3.0",
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
const versionAxis = z
  .union([z.string(), z.array(z.string()).min(1)], {
    error: 'versions as strings: "0.11.4", a list of them, "all", or a range such as ">=0.2,<0.12" (quote numbers like 0.11)',
  })
  .transform((v, ctx) => {
    if (v === "all") return { select: "all" as const };
    if (typeof v === "string" && RANGE_START.test(v)) {
      if (!isVersionRange(v)) ctx.addIssue({ code: "custom", message: `"${v}" is not a PEP 440 version range` });
      return { select: v.trim() };
    }
    const versions = Array.isArray(v) ? v : [v];
    versions.forEach((version, i) => {
      if (isPep440(version) === null)
        ctx.addIssue({ code: "custom", message: `"${version}" is not a PEP 440 version`, ...(Array.isArray(v) ? { path: [i] } : {}) });
    });
    return { versions };
  });
export type VersionAxis = z.output<typeof versionAxis>;

/** A worker class: a dotted path, or one that its own package brings into the env. */
const dottedPath = z.string().regex(/^[A-Za-z_][\w.]*\.[A-Za-z_]\w*$/, "a dotted path such as uvicorn.workers.UvicornWorker");
const workerClass = z.preprocess(
  (v) => (typeof v === "string" ? { class: v } : v),
  z
    .strictObject(
      { class: dottedPath, package: requirement.optional() },
      { error: "a dotted path, or { class: <dotted path>, package: <requirement> }" },
    )
    .transform((w) => (w.package ? { path: w.class, package: w.package } : { path: w.class })),
);
export type WorkerClass = z.output<typeof workerClass>;

/** YAML reads `3.10` as the number 3.1, so Python versions must be quoted; say so rather than guess. */
const pythonVersion = z.string().regex(/^3\.\d+$/, 'Python version as a quoted string such as "3.9"');

export const PythonSettings = z.strictObject({
  /**
   * Where the base image comes from: `debian:<suite>` builds it offline with debootstrap
   * (no registry needed); anything else is a registry image name such as `python:3.9-slim`.
   */
  base: z.string().min(1),
  /** For the local runtime: the interpreter to use instead of python<version> from PATH. */
  hostPython: z.string().min(1).optional(),
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
  allowNewer: z.array(packageName).default([]),
});

export const Index = z.strictObject({
  /** A PEP 503/691 simple index. */
  url: z.url().default("https://pypi.org/simple"),
  /** Further indexes, searched before `url` (as uv does), e.g. a company's private index. */
  extraUrls: z.array(z.url()).default([]),
  /** Local folders of wheels/sdists, relative to matrix.yaml. */
  findLinks: z.array(z.string().min(1)).default([]),
});

export const Releases = z.strictObject({
  /** Whether `all` and ranges include pre-releases and yanked releases. */
  prereleases: z.boolean().default(false),
  yanked: z.boolean().default(false),
});

export const Probes = z.strictObject({
  path: z.string().startsWith("/").default("/"),
  /** Requests sent after the server is ready. */
  count: z.number().int().positive().default(64),
  concurrency: z.number().int().positive().default(8),
  expectedStatus: z.number().int().min(100).max(599).default(200),
  /**
   * Seconds to keep probing (after `count`) for workers that have not answered yet. Readiness is
   * the first answer, while later workers may still be booting; they get this long to show up.
   */
  coverageSeconds: z.number().nonnegative().default(10),
});

export const Timeouts = z.strictObject({
  /** Seconds from container start until the first HTTP answer. */
  bootSeconds: z.number().positive().default(60),
  /** Seconds for one probe request. */
  requestSeconds: z.number().positive().default(10),
  /** Seconds for the whole cell, boot to stop. */
  cellSeconds: z.number().positive().default(180),
  /** Seconds Gunicorn gets to shut down gracefully before it is killed. */
  stopSeconds: z.number().positive().default(10),
});

/** What one cell's server may use (docker runtime; the local runtime runs unconfined). */
export const Limits = z.strictObject({
  /** Memory for the whole server (master and workers); past it the kernel kills a worker (OOM). */
  memoryMiB: z.number().int().min(128).max(65_536).default(1024),
});

export const Scenario = z
  .strictObject({
    /** Names the report folder: reports/<scenario>/. */
    scenario: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and dashes"),
    description: z.string().optional(),
    /** Package axes: uvicorn and gunicorn always, and any other package (an app's driver, say). */
    packages: z.record(packageName, versionAxis).superRefine((p, ctx) => {
      for (const name of ["uvicorn", "gunicorn"])
        if (!(name in p)) ctx.addIssue({ code: "custom", path: [name], message: "required field is missing" });
    }),
    /**
     * Extras installed with a package axis, e.g. `{ uvicorn: [standard] }`: since uvicorn 0.12,
     * uvloop and httptools (what UvicornWorker runs on when present) come only with [standard].
     * A version without the extra installs without it (the resolver warns); the lock shows which.
     */
    packageExtras: z
      .record(packageName, z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "an extra's name such as standard")))
      .default({}),
    releases: Releases.default(Releases.parse({})),
    resolution: Resolution.default(Resolution.parse({})),
    index: Index.default(Index.parse({})),
    python: z.record(pythonVersion, PythonSettings).refine((r) => Object.keys(r).length > 0, "at least one Python version"),
    /**
     * Requirement constraints applied to every env's resolution (e.g. `uvloop<0.22`): the only way a
     * dependency differs from the newest one, and it is recorded in each lock.
     */
    constraints: z
      .array(
        z
          .string()
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*(===|==|!=|~=|<=|>=|<|>)\s*[^\s;]+(\s*,\s*(===|==|!=|~=|<=|>=|<|>)\s*[^\s;,]+)*$/,
            "a requirement with a version bound, such as uvloop<0.22",
          ),
      )
      .default([]),
    /** Packages that must come as wheels (never built from sdist in the image), e.g. uvloop. */
    onlyBinary: z.array(z.string()).default([]),
    workerClasses: oneOrMany(workerClass),
    preload: oneOrMany(z.boolean()).default([false, true]),
    workers: oneOrMany(z.number().int().min(1).max(64)).default([8]),
    /** Fixture apps by name: a module in images/apps (dashes become underscores). */
    apps: oneOrMany(z.string().regex(/^[a-z][a-z0-9-]*$/, "an app fixture name such as import-time-loop")),
    probes: Probes.default(Probes.parse({})),
    signatures: oneOrMany(regex),
    timeouts: Timeouts.default(Timeouts.parse({})),
    limits: Limits.default(Limits.parse({})),
    /** The published claim the run checks, e.g. a fix page's "first fixed release". */
    claim: z
      .strictObject({
        text: z.string(),
        /** The package whose releases the claim is about (a package axis). */
        package: z.string().default("uvicorn"),
        /** The failure signature the claim is about; absent: the scenario's first signature. */
        signature: regex.optional(),
        firstFixed: pep440Version,
        /** Only cells with these settings count for the claim (e.g. preload: true). */
        when: z
          .strictObject({ preload: z.boolean().optional(), app: z.string().optional(), workerClass: z.string().optional() })
          .default({}),
      })
      .optional(),
  })
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
  });

export type Scenario = z.output<typeof Scenario>;
