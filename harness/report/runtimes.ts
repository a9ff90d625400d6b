import { type CellRecord, cellAxesKey } from "../store/record.js";

/** Docker is the reference runtime: a cell's local result only stands in when docker has none. */
const RANK = { docker: 0, local: 1 } as const;

/** One record per cell for the tables, whichever runtime ran it. */
export function primaryCells(cells: CellRecord[]): CellRecord[] {
  const best = new Map<string, CellRecord>();
  for (const c of cells) {
    const key = cellAxesKey(c);
    const seen = best.get(key);
    if (!seen || RANK[c.runtime] < RANK[seen.runtime]) best.set(key, c);
  }
  return [...best.values()];
}

export interface ParityRow {
  docker: CellRecord;
  local: CellRecord;
  same: boolean;
  /** For a difference: what differed between the two environments, and each side's reason. */
  why?: string;
}

/** Cells run on both runtimes, compared by outcome. */
export function runtimeParity(cells: CellRecord[]): ParityRow[] {
  const local = new Map(cells.filter((c) => c.runtime === "local").map((c) => [cellAxesKey(c), c]));
  const rows: ParityRow[] = [];
  for (const d of cells.filter((c) => c.runtime === "docker")) {
    const l = local.get(cellAxesKey(d));
    if (!l) continue;
    const same = d.outcome === l.outcome;
    rows.push({ docker: d, local: l, same, ...(same ? {} : { why: explainDifference(d, l) }) });
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
  return `docker: ${d.reason} / local: ${l.reason}${envText}`;
}
