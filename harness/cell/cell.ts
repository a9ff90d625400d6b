import { z } from "zod";
import type { Scenario } from "../config/schema.js";
import { normalizeName } from "../core/package-name.js";

/**
 * The axes of a cell: everything that names one experiment. The record schema (record.ts)
 * spreads these same fields, so a cell and its record cannot declare them differently.
 */
export const CELL_AXES = {
  python: z.string(),
  /** The version of every package axis, by the name the scenario gives it (uvicorn, gunicorn, any other). */
  packages: z.record(z.string(), z.string()),
  workerClass: z.string(),
  preload: z.boolean(),
  /** The app by its name: a fixture's, or the one the scenario gives its own app. */
  app: z.string(),
  workers: z.number(),
  /** Gunicorn arguments beyond the harness's own, as the scenario writes them; absent: none. */
  gunicornArgs: z.array(z.string()).optional(),
  /**
   * Environment variables for the server beyond the harness's own (the scenario's `env` axis);
   * absent: none. Not `env`: that word is the harness's for a cell's packages (EnvSpec, env images).
   */
  envVars: z.record(z.string(), z.string()).optional(),
};
export const Cell = z.strictObject(CELL_AXES);
/** One experiment: one server running one Gunicorn command. */
export type Cell = z.infer<typeof Cell>;

/** Concrete versions per package axis, after `all` and ranges were expanded from the index. */
export type AxisVersions = Record<string, string[]>;

/**
 * uvicorn and gunicorn come first, as they did when they were a cell's only two package fields
 * (so every recorded id and env key keeps its text); any other package follows by name. An
 * order for names only: neither is assumed to be the package a claim or a table is about.
 */
const NAMED_FIRST = ["uvicorn", "gunicorn"];
const rank = (name: string) => {
  const i = NAMED_FIRST.indexOf(normalizeName(name));
  return i < 0 ? NAMED_FIRST.length : i;
};

/** A cell's package axes as [name, version], in the one order ids, labels and envs name them. */
export const packageEntries = (packages: Record<string, string>): [string, string][] =>
  Object.entries(packages).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));

/** A cell's version of a package axis, found by its PEP 503 name (uvicorn_worker is uvicorn-worker); "" if it has none. */
export function versionOf(c: Pick<Cell, "packages">, pkg: string): string {
  const name = normalizeName(pkg);
  return Object.entries(c.packages).find(([n]) => normalizeName(n) === name)?.[1] ?? "";
}

/**
 * The package the tables, bisect and pages are about: the claim's; else the one whose versions
 * vary most (the first in naming order on a tie), so rows are never another package's. When none
 * varies: `whenNoneVaries` (bisect's resolution anchor, whose releases set the cut-off), else the
 * first in naming order. The one rule; axisPackageOf and plan's axisPackage only gather versions.
 */
export function axisPackageAmong(
  versions: Iterable<[string, Iterable<string>]>,
  o: { claim?: string | undefined; whenNoneVaries?: string | undefined } = {},
): string {
  if (o.claim) return o.claim;
  let best: [string, number] | undefined;
  const counted = [...versions].map(([name, vs]) => [name, new Set(vs).size] as [string, number]);
  for (const [name, n] of counted.sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))) if (!best || n > best[1]) best = [name, n];
  if (o.whenNoneVaries && (!best || best[1] <= 1)) return o.whenNoneVaries;
  return best?.[0] ?? "uvicorn";
}

/** axisPackageAmong over the versions recorded cells hold. */
export function axisPackageOf(cells: Pick<Cell, "packages">[], claimPackage?: string): string {
  const versions = new Map<string, Set<string>>();
  for (const c of cells)
    for (const [name, version] of packageEntries(c.packages)) versions.set(name, (versions.get(name) ?? new Set()).add(version));
  return axisPackageAmong(versions, { claim: claimPackage });
}

/** The packages an env must hold; many cells share one. */
export interface EnvSpec {
  python: string;
  base: string;
  /** Bases tried in order when `base` cannot be had here (python.<v>.fallback). */
  fallbackBases?: string[];
  hostPython?: string;
  /** Exact pins of the axis packages, anchor first. */
  packages: { name: string; version: string; extras?: string[] }[];
  /** Requirements beyond the axes: the package a worker class comes from, and the app's own pinned requirements. */
  requirements: string[];
  onlyBinary: string[];
  constraints: string[];
  resolution: Scenario["resolution"];
  index: Scenario["index"];
}

export function envOf(cell: Cell, s: Scenario): EnvSpec {
  const settings = s.python[cell.python];
  if (!settings) throw new Error(`no settings for Python ${cell.python}`);
  const withExtras = (name: string, version: string) => {
    const extras = Object.entries(s.packageExtras).find(([n]) => normalizeName(n) === normalizeName(name))?.[1] ?? [];
    return extras.length > 0 ? { name, version, extras } : { name, version };
  };
  const pins = packageEntries(cell.packages).map(([name, version]) => withExtras(name, version));
  const isAnchor = (name: string) => normalizeName(name) === normalizeName(s.resolution.anchor);
  pins.sort((a, b) => Number(isAnchor(b.name)) - Number(isAnchor(a.name)));
  const workerPackage = s.workerClasses.find((w) => w.path === cell.workerClass && "package" in w);
  return {
    python: cell.python,
    base: settings.base,
    ...(settings.fallback ? { fallbackBases: settings.fallback } : {}),
    ...(settings.hostPython ? { hostPython: settings.hostPython } : {}),
    packages: pins,
    // The app's requirements go into every env: they are what the app needs, not an axis.
    requirements: [...(workerPackage && "package" in workerPackage ? [workerPackage.package as string] : []), ...s.requirements],
    onlyBinary: s.onlyBinary,
    constraints: s.constraints,
    resolution: s.resolution,
    index: s.index,
  };
}

export const envKey = (e: EnvSpec) =>
  [
    `py${e.python}`,
    ...e.packages.map((p) => `${p.name}${p.extras ? `[${p.extras.join(",")}]` : ""}${p.version}`),
    ...e.requirements.map((r) => r.replace(/\s+/g, "")),
  ].join("-");

/** Short worker class name for tables: uvicorn.workers.UvicornH11Worker -> UvicornH11Worker. */
export const shortClass = (workerClass: string) => workerClass.split(".").at(-1) ?? workerClass;

/**
 * A value as it may stand inside a cell id or an `--only` term: characters that would end one
 * (`~`, `,`, `+`, whitespace) or need shell quoting are percent-encoded as UTF-8, the rest kept.
 */
const encodeValue = (s: string) =>
  s.replace(/[^A-Za-z0-9._\-=:/@]/gu, (ch) =>
    [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );

/** Gunicorn arguments in an id or a filter: `--graceful-timeout+2`; "" for none. */
export const argsText = (args: readonly string[] = []) => args.map(encodeValue).join("+");

/** Environment variables in an id or a filter, by name: `DEBUG=1+MODE=a%20b`; "" for none. */
export const envText = (env: Record<string, string> = {}) =>
  Object.entries(env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, v]) => `${n}=${encodeValue(v)}`)
    .join("+");

/** Gunicorn arguments as a person reads them: `--graceful-timeout 2`, a value with spaces quoted. */
const argsLabel = (args: readonly string[]) => args.map((a) => (/^[^\s'"]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
const envLabel = (env: Record<string, string>) =>
  Object.entries(env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, v]) => `${n}=${/^[^\s'"]*$/.test(v) ? v : JSON.stringify(v)}`)
    .join(" ");

/** What a cell runs, as one line: `py3.9 uvicorn 0.11.4 gunicorn 23.0.0 UvicornWorker --preload plain -w 8`. */
export const cellLabel = (c: Cell) =>
  [
    `py${c.python}`,
    ...packageEntries(c.packages).map(([n, v]) => `${n} ${v}`),
    shortClass(c.workerClass),
    c.preload ? "--preload" : "no-preload",
    c.app,
    `-w ${c.workers}`,
    ...(c.gunicornArgs?.length ? [argsLabel(c.gunicornArgs)] : []),
    ...(c.envVars && Object.keys(c.envVars).length > 0 ? [`env ${envLabel(c.envVars)}`] : []),
  ].join(" ");

/**
 * A cell's id: readable, stable across runs and unique within a matrix, for `run --only <id>`,
 * report anchors and JUnit test names. The full worker class path keeps
 * uvicorn.workers.UvicornWorker and uvicorn_worker.UvicornWorker apart. Gunicorn arguments and
 * environment add a segment only when a cell has some, so ids recorded before they were axes
 * stay as they were.
 */
export const cellId = (c: Cell) =>
  [
    `py${c.python}`,
    ...packageEntries(c.packages).map(([n, v]) => `${n}${v}`),
    c.workerClass,
    c.preload ? "preload" : "no-preload",
    c.app,
    `w${c.workers}`,
    ...(c.gunicornArgs?.length ? [`args:${argsText(c.gunicornArgs)}`] : []),
    ...(c.envVars && Object.keys(c.envVars).length > 0 ? [`env:${envText(c.envVars)}`] : []),
  ].join("~");

/** A term of `--only` that is a cell id rather than field=value: ids start with their Python. */
export const looksLikeCellId = (term: string) => /^py\d+(\.\d+)*~/.test(term);

/** The `--only` fields every cell has; each package axis is a field too, by its name. */
export const FILTER_FIELDS = ["python", "workerClass", "preload", "app", "workers", "gunicornArgs", "env"] as const;

/** The value of each `--only` field for a cell, as a term would write it (`gunicornArgs=` for none). */
export function filterTerms(c: Cell): Record<string, string> {
  return {
    ...Object.fromEntries(packageEntries(c.packages)),
    python: c.python,
    workerClass: c.workerClass,
    preload: String(c.preload),
    app: c.app,
    workers: String(c.workers),
    gunicornArgs: argsText(c.gunicornArgs),
    env: envText(c.envVars),
  };
}

/** The axes that name a cell, whichever runtime ran it: its id. */
export const cellAxesKey = (c: Cell) => cellId(c);

/**
 * Records with equal identity replace each other in results.json. The runtime is part of it, so
 * a docker and a local result of one cell live side by side and can be compared.
 */
export const cellIdentity = (c: Cell & { runtime: string }) => `${cellId(c)}|${c.runtime}`;
