import pLimit from "p-limit";
import { type AxisVersions, type Cell, envOf } from "../cell/cell.js";
import type { Scenario } from "../config/schema.js";
import { notApplicable, type PythonChoice, PythonPasses, versionIn } from "../plan/pythons.js";
import { planPythons } from "../releases/era.js";
import type { NotApplicable } from "../store/results-file.js";
import type { RunSession } from "./session.js";

export interface PythonsOfRun {
  choice: PythonChoice;
  passes: PythonPasses;
  /** Combinations the releases exclude, once per release and reason. */
  notApplicable: NotApplicable[];
  /** Release of the claim's package → its era Python, for the report. */
  era: Record<string, string>;
  /** `pythonPolicy: era` with listed Pythons this machine has no interpreter for: said once, at the start. */
  note?: string;
  /**
   * Listed Pythons this machine has no interpreter for (era): out of this run's reach, not out of
   * the scenario, so their recorded cells stay in results.json.
   */
  unavailable: string[];
}

/**
 * Which Python each release runs on, once the runtime is open (era's candidates are the listed
 * Pythons it has an interpreter for): the index's Requires-Python and wheel tags rule out the
 * combinations that cannot exist, and era orders each release's Pythons from its upload day.
 */
export async function choosePythons(
  s: Scenario,
  versions: AxisVersions,
  all: Cell[],
  session: RunSession,
  file?: string,
): Promise<PythonsOfRun> {
  const listed = Object.keys(s.python);
  const missing = new Map<string, string>();
  if (s.pythonPolicy === "era") {
    const ctx = await session.envContext();
    // Two at a time, as env builds go: a first run builds each base image here.
    const limit = pLimit(2);
    await Promise.all(
      listed.map((python) =>
        limit(async () => {
          const sample = all.find((c) => c.python === python);
          const interp = sample ? await ctx.backend.interpreter(envOf(sample, s)) : { ok: false as const, reason: "no cell" };
          if (!interp.ok) missing.set(python, interp.reason);
        }),
      ),
    );
  }
  const candidates = listed.filter((p) => !missing.has(p));
  const plan = await planPythons(s, versions, candidates, { signal: session.signal, cache: session.index, ...(file ? { file } : {}) });
  const choice: PythonChoice = { ...(plan.eraPackage ? { eraPackage: plan.eraPackage } : {}), order: plan.order, excluded: plan.excluded };
  const applicable: Cell[] = [];
  const excluded = new Map<string, NotApplicable>();
  for (const c of all) {
    const why = notApplicable(c, plan.excluded);
    if (!why) applicable.push(c);
    else if (candidates.includes(c.python)) {
      const key = `${why.package}|${why.version}|${why.reason}`;
      const entry = excluded.get(key) ?? { ...why, pythons: [] };
      if (!entry.pythons.includes(c.python)) entry.pythons.push(c.python);
      excluded.set(key, entry);
    }
  }
  return {
    choice,
    passes: new PythonPasses(applicable, choice),
    notApplicable: [...excluded.values()],
    era: Object.fromEntries(plan.era),
    unavailable: [...missing.keys()],
    ...(missing.size > 0
      ? { note: `pythonPolicy: era: no release runs on ${[...missing].map(([p, why]) => `Python ${p} (${why})`).join("; ")}` }
      : {}),
  };
}

/**
 * The cell a cell's shard follows: its release's on its era Python. A release's fallback cells
 * then land in the shard that ran its era cells, where the outcomes that call for them are.
 */
export const eraCellOf = (c: Cell, choice: PythonChoice): Cell => {
  const version = choice.eraPackage ? versionIn(c, choice.eraPackage) : undefined;
  const era = version ? choice.order.get(version)?.[0] : undefined;
  return era ? { ...c, python: era } : c;
};
