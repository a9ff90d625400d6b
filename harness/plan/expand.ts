import type { AxisVersions, Cell } from "../cell/cell.js";
import type { Scenario } from "../config/schema.js";

/** Packages the harness itself treats as named axes; the rest are extras. */
const CORE = ["uvicorn", "gunicorn"];

/** Every combination of the scenario's axes, in a stable order (python, gunicorn, uvicorn, extras, ...). */
export function expandCells(s: Scenario, versions: AxisVersions): Cell[] {
  const extraNames = Object.keys(versions).filter((n) => !CORE.includes(n));
  let extraCombos: Record<string, string>[] = [{}];
  for (const name of extraNames) extraCombos = extraCombos.flatMap((combo) => (versions[name] ?? []).map((v) => ({ ...combo, [name]: v })));
  const cells: Cell[] = [];
  for (const python of Object.keys(s.python))
    for (const gunicorn of versions.gunicorn ?? [])
      for (const uvicorn of versions.uvicorn ?? [])
        for (const extras of extraCombos)
          for (const workerClass of s.workerClasses)
            for (const preload of s.preload)
              for (const app of s.apps)
                for (const workers of s.workers)
                  cells.push({
                    python,
                    gunicorn,
                    uvicorn,
                    workerClass: workerClass.path,
                    preload,
                    app,
                    workers,
                    ...(extraNames.length > 0 ? { extras } : {}),
                  });
  return cells;
}
