import type { ResultsFile } from "../store/results-file.js";
import { type CompatStatus, compatRows, sortVersions, tablePackage } from "./compat.js";
import { failureFingerprint } from "./fingerprint.js";
import { primaryCells } from "./runtimes.js";

/**
 * What a run changed in the compatibility table, per Python and version: a status that moved
 * (Fixed → Affected is a regression a nightly run exists to catch), a version that appeared, or
 * one that is gone. Details such as cell counts are not changes; statuses are.
 */
export function tableChanges(before: ResultsFile | undefined, after: ResultsFile): string[] {
  const old = statuses(before);
  const now = statuses(after);
  const changes: string[] = [];
  for (const [key, status] of now) {
    const was = old.get(key);
    if (was === undefined) changes.push(`new: ${key}: ${status}`);
    else if (was !== status) changes.push(`changed: ${key}: ${was} → ${status}`);
  }
  for (const [key, was] of old) if (!now.has(key)) changes.push(`gone: ${key} (was ${was})`);
  // A kind of failure never seen before stands out even when the statuses did not move.
  const known = new Set(fingerprints(before ?? { cells: [] }).keys());
  if (before)
    for (const [print, n] of fingerprints(after))
      if (!known.has(print)) changes.push(`new failure: ${print} (${n} cell${n === 1 ? "" : "s"})`);
  return changes;
}

/** Distinct failure fingerprints and how many cells show each. */
export function fingerprints(r: Pick<ResultsFile, "cells">): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of primaryCells(r.cells)) {
    const print = failureFingerprint(c);
    if (print) out.set(print, (out.get(print) ?? 0) + 1);
  }
  return out;
}

/** "Python 3.9 · uvicorn 0.11.4" → status, over the claim's cells as the report's table shows them (per the table's package). */
function statuses(r: ResultsFile | undefined): Map<string, CompatStatus> {
  const out = new Map<string, CompatStatus>();
  if (!r) return out;
  const cells = primaryCells(r.cells);
  const pkg = tablePackage(r);
  for (const python of sortVersions(cells.map((c) => c.python))) {
    for (const row of compatRows(
      cells.filter((c) => c.python === python),
      r.claim?.when ?? {},
      pkg,
    ))
      out.set(`Python ${python} · ${pkg} ${row.version}`, row.status);
  }
  return out;
}
