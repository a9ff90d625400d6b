import type { Scenario } from "../config/schema.js";

/** One experiment: one container running one Gunicorn command. */
export interface Cell {
  python: string;
  gunicorn: string;
  uvicorn: string;
  workerClass: string;
  preload: boolean;
  app: string;
  workers: number;
}

/** The packages an image must hold; many cells share one. */
export interface EnvSpec {
  python: string;
  base: string;
  packages: { name: string; version: string }[];
  onlyBinary: string[];
  constraints: string[];
}

/** Every combination of the scenario's axes, in a stable order (python, gunicorn, uvicorn, ...). */
export function expandCells(s: Scenario): Cell[] {
  const cells: Cell[] = [];
  for (const python of Object.keys(s.python))
    for (const gunicorn of s.packages.gunicorn)
      for (const uvicorn of s.packages.uvicorn)
        for (const workerClass of s.workerClasses)
          for (const preload of s.preload)
            for (const app of s.apps)
              for (const workers of s.workers) cells.push({ python, gunicorn, uvicorn, workerClass, preload, app, workers });
  return cells;
}

export function envOf(cell: Cell, s: Scenario): EnvSpec {
  const settings = s.python[cell.python];
  if (!settings) throw new Error(`no settings for Python ${cell.python}`);
  return {
    python: cell.python,
    base: settings.base,
    packages: [
      { name: "gunicorn", version: cell.gunicorn },
      { name: "uvicorn", version: cell.uvicorn },
    ],
    onlyBinary: s.onlyBinary,
    constraints: s.constraints,
  };
}

export const envKey = (e: EnvSpec) => `py${e.python}-${e.packages.map((p) => `${p.name}${p.version}`).join("-")}`;

/** Short worker class name for tables: uvicorn.workers.UvicornH11Worker -> UvicornH11Worker. */
export const shortClass = (workerClass: string) => workerClass.split(".").at(-1) ?? workerClass;

export const cellLabel = (c: Cell) =>
  `py${c.python} gunicorn ${c.gunicorn} uvicorn ${c.uvicorn} ${shortClass(c.workerClass)} ${c.preload ? "--preload" : "no-preload"} ${c.app} -w ${c.workers}`;
