import { type CellRecord, cellAxesKey } from "../cell/record.js";
import { runtimeRank } from "../runtimes/registry.js";

/**
 * One record per cell for the tables, whichever runtime ran it: the registry's first runtime
 * (docker) is the reference, and another's result only stands in when it has none.
 */
export function primaryCells(cells: CellRecord[]): CellRecord[] {
  const best = new Map<string, CellRecord>();
  for (const c of cells) {
    const key = cellAxesKey(c);
    const seen = best.get(key);
    if (!seen || runtimeRank(c.runtime) < runtimeRank(seen.runtime)) best.set(key, c);
  }
  return [...best.values()];
}

export interface ParityRow {
  /** The reference runtime's record (docker). */
  reference: CellRecord;
  /** Another runtime's record of the same cell (local). */
  other: CellRecord;
  same: boolean;
  /** For a difference: what differed between the two environments, and each side's reason. */
  why?: string;
}

/** Cells run on the reference runtime and on another, compared by outcome. */
export function runtimeParity(cells: CellRecord[]): ParityRow[] {
  const reference = new Map(cells.filter((c) => runtimeRank(c.runtime) === 0).map((c) => [cellAxesKey(c), c]));
  const rows: ParityRow[] = [];
  for (const o of cells.filter((c) => runtimeRank(c.runtime) > 0)) {
    const d = reference.get(cellAxesKey(o));
    if (!d) continue;
    const same = d.outcome === o.outcome;
    rows.push({ reference: d, other: o, same, ...(same ? {} : { why: explainDifference(d, o) }) });
  }
  return rows;
}

function explainDifference(d: CellRecord, l: CellRecord): string {
  const envDiffs: string[] = [];
  if (d.pythonFull !== l.pythonFull) envDiffs.push(`Python ${d.pythonFull ?? "?"} vs ${l.pythonFull ?? "?"}`);
  const versions = (r: CellRecord) => new Map(r.evidence.packages.map((p) => p.split("==") as [string, string]));
  const [dv, lv] = [versions(d), versions(l)];
  for (const [name, v] of dv) if (lv.has(name) && lv.get(name) !== v) envDiffs.push(`${name} ${v} vs ${lv.get(name)}`);
  const envText = envDiffs.length > 0 ? `; envs differ: ${envDiffs.join(", ")}` : "; same packages";
  return `${d.runtime}: ${d.reason} / ${l.runtime}: ${l.reason}${envText}`;
}
