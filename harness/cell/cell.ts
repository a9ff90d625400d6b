import type { Scenario } from "../config/schema.js";
import { normalizeName } from "../core/package-name.js";

/** One experiment: one server running one Gunicorn command. */
export interface Cell {
  python: string;
  gunicorn: string;
  uvicorn: string;
  workerClass: string;
  preload: boolean;
  app: string;
  workers: number;
  /** Further package axes (name -> version), present only when the scenario has them. */
  extras?: Record<string, string>;
}

/** Concrete versions per package axis, after `all` and ranges were expanded from the index. */
export type AxisVersions = Record<string, string[]>;

/** The packages an env must hold; many cells share one. */
export interface EnvSpec {
  python: string;
  base: string;
  hostPython?: string;
  /** Exact pins of the axis packages, anchor first. */
  packages: { name: string; version: string; extras?: string[] }[];
  /** Requirements beyond the axes, e.g. the package a worker class comes from. */
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
  const pins = [
    withExtras("uvicorn", cell.uvicorn),
    withExtras("gunicorn", cell.gunicorn),
    ...Object.entries(cell.extras ?? {}).map(([name, version]) => withExtras(name, version)),
  ];
  const isAnchor = (name: string) => normalizeName(name) === normalizeName(s.resolution.anchor);
  pins.sort((a, b) => Number(isAnchor(b.name)) - Number(isAnchor(a.name)));
  const workerPackage = s.workerClasses.find((w) => w.path === cell.workerClass && "package" in w);
  return {
    python: cell.python,
    base: settings.base,
    ...(settings.hostPython ? { hostPython: settings.hostPython } : {}),
    packages: pins,
    requirements: workerPackage && "package" in workerPackage ? [workerPackage.package as string] : [],
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

const extrasLabel = (extras?: Record<string, string>) =>
  Object.entries(extras ?? {})
    .map(([n, v]) => ` ${n} ${v}`)
    .join("");

export const cellLabel = (c: Cell) =>
  `py${c.python} gunicorn ${c.gunicorn} uvicorn ${c.uvicorn}${extrasLabel(c.extras)} ${shortClass(c.workerClass)} ${c.preload ? "--preload" : "no-preload"} ${c.app} -w ${c.workers}`;

/**
 * A cell's id: readable, stable across runs and unique within a matrix, for `run --only <id>`,
 * report anchors and JUnit test names. The full worker class path keeps
 * uvicorn.workers.UvicornWorker and uvicorn_worker.UvicornWorker apart.
 */
export const cellId = (c: Cell) =>
  [
    `py${c.python}`,
    `uvicorn${c.uvicorn}`,
    `gunicorn${c.gunicorn}`,
    ...Object.entries(c.extras ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([n, v]) => `${n}${v}`),
    c.workerClass,
    c.preload ? "preload" : "no-preload",
    c.app,
    `w${c.workers}`,
  ].join("~");
