import { type AxisVersions, axisPackageAmong, type Cell } from "../cell/cell.js";
import type { Scenario } from "../config/schema.js";

/**
 * Every combination of the scenario's axes, in a stable order: python, the package axes (in
 * the scenario's order), worker class, preload, app, workers, Gunicorn arguments, environment.
 * Gunicorn arguments and environment are left out of a cell that has none, as cells were
 * before they were axes.
 */
export function expandCells(s: Scenario, versions: AxisVersions): Cell[] {
  let combos: Record<string, string>[] = [{}];
  for (const [name, vs] of Object.entries(versions)) combos = combos.flatMap((combo) => vs.map((v) => ({ ...combo, [name]: v })));
  const cells: Cell[] = [];
  for (const python of Object.keys(s.python))
    for (const packages of combos)
      for (const workerClass of s.workerClasses)
        for (const preload of s.preload)
          for (const app of s.apps)
            for (const workers of s.workers)
              for (const gunicornArgs of s.gunicornArgs)
                for (const env of s.env)
                  cells.push({
                    python,
                    packages,
                    workerClass: workerClass.path,
                    preload,
                    app: app.name,
                    workers,
                    ...(gunicornArgs.length > 0 ? { gunicornArgs } : {}),
                    ...(Object.keys(env).length > 0 ? { envVars: env } : {}),
                  });
  return cells;
}

/** The package a search is about when none is named: axisPackageAmong over the scenario's versions. */
export function axisPackage(s: Scenario, versions: AxisVersions): string {
  return axisPackageAmong(Object.entries(versions), { claim: s.claim?.package, whenNoneVaries: s.resolution.anchor });
}
