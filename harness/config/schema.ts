import { valid as isPep440 } from "@renovatebot/pep440";
import { z } from "zod";

const pep440Version = z.string().refine((v) => isPep440(v) !== null, { message: "not a PEP 440 version" });

const regex = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `not a valid regular expression (${(err as Error).message})` });
  }
});

/** A single value or a list, so `gunicorn: 23.0.0` and `gunicorn: [22.0.0, 23.0.0]` both read. */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

/** YAML reads `3.10` as the number 3.1, so Python versions must be quoted; say so rather than guess. */
const pythonVersion = z.string().regex(/^3\.\d+$/, 'Python version as a quoted string such as "3.9"');

export const PythonSettings = z.strictObject({
  /**
   * Where the base image comes from: `debian:<suite>` builds it offline with debootstrap
   * (no registry needed); anything else is a registry image name such as `python:3.9-slim`.
   */
  base: z.string().min(1),
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

export const Scenario = z.strictObject({
  /** Names the report folder: reports/<scenario>/. */
  scenario: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and dashes"),
  description: z.string().optional(),
  packages: z.strictObject({
    uvicorn: oneOrMany(pep440Version),
    gunicorn: oneOrMany(pep440Version),
  }),
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
  workerClasses: oneOrMany(z.string().regex(/^[A-Za-z_][\w.]*\.[A-Za-z_]\w*$/, "a dotted path such as uvicorn.workers.UvicornWorker")),
  preload: oneOrMany(z.boolean()).default([false, true]),
  workers: oneOrMany(z.number().int().min(1).max(64)).default([8]),
  /** Fixture apps by name: a module in images/apps (dashes become underscores). */
  apps: oneOrMany(z.string().regex(/^[a-z][a-z0-9-]*$/, "an app fixture name such as import-time-loop")),
  probes: Probes.default(Probes.parse({})),
  signatures: oneOrMany(regex),
  timeouts: Timeouts.default(Timeouts.parse({})),
  /** The published claim the run checks, e.g. a fix page's "first fixed release". */
  claim: z
    .strictObject({
      text: z.string(),
      firstFixed: pep440Version,
      /** Only cells with these settings count for the claim (e.g. preload: true). */
      when: z.strictObject({ preload: z.boolean().optional(), app: z.string().optional(), workerClass: z.string().optional() }).default({}),
    })
    .optional(),
});

export type Scenario = z.output<typeof Scenario>;
