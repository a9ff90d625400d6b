import { compare } from "@renovatebot/pep440";
import { packageEntries, shortClass, versionOf } from "../cell/cell.js";
import { isTested, showing } from "../cell/outcome.js";
import type { CellRecord } from "../cell/record.js";
import { claimCells, compatRows, tablePackage } from "../claims/compat.js";
import { type Symptom, symptomOf } from "../claims/symptom.js";
import type { ClaimVerdict } from "../claims/verdict.js";
import type { ResultsFile } from "../store/results-file.js";
import type { PageRow } from "./compat-table.js";
import type { MeasuredFirstFixed } from "./first-fixed.js";

/** What the harness measured, in the terms of a fix page's fields. */
export interface PageFacts {
  /** One row per tested version of the cells that match the claim's trigger, oldest first. */
  rows: PageRow[];
  firstFixed: MeasuredFirstFixed;
  /** The "Reproduced locally:" value, e.g. "Yes (2026-11-25, uvicorn 0.3.32, …, docker)". */
  reproducedLocally: string;
  /** YYYY-MM-DD of the newest run that contributed cells. */
  lastVerified: string;
}

export function pageFacts(r: ResultsFile, verdict: ClaimVerdict | undefined): PageFacts {
  const when = r.claim?.when ?? {};
  // The same cells as the report's table: one per cell (docker preferred), within the claim's trigger.
  const cells = claimCells(r);
  return {
    rows: compatRows(cells, when, tablePackage(r)).map(({ version, status }) => ({ version, status })),
    firstFixed: measuredFirstFixed(verdict),
    reproducedLocally: reproducedLocally(cells, r.lastVerified, tablePackage(r), symptomOf(r.claim, cells)),
    lastVerified: r.lastVerified,
  };
}

/** Without a verdict (no claim in the results) or a usable result, the page's value is not touched. */
export function measuredFirstFixed(verdict: ClaimVerdict | undefined): MeasuredFirstFixed {
  if (!verdict) return { kind: "unmeasured" };
  if (verdict.firstWithout && verdict.untestedBetween.length > 0)
    return { kind: "at-most", version: verdict.firstWithout, untested: verdict.untestedBetween };
  if (verdict.firstWithout) return { kind: "version", version: verdict.firstWithout };
  if (verdict.lastAffected) return { kind: "still-affected", lastAffected: verdict.lastAffected };
  if (verdict.status === "not-reproduced") return { kind: "not-reproduced" };
  return { kind: "unmeasured" };
}

/**
 * "Yes (date, environment)" from the reproduction of the newest affected version of the page's
 * package (the one nearest the fix, most recently run if several), so a reader can rebuild the
 * boundary. "No" counts only cells that booted and served (tested: clean or failing otherwise):
 * a cell that could not install or boot had no chance to show the symptom, and counting it
 * would overstate the evidence.
 */
export function reproducedLocally(cells: CellRecord[], lastVerified: string, pkg: string, symptom: Symptom): string {
  const newest = cells
    .filter((c) => showing(c) === "affected")
    .sort((a, b) => compare(versionOf(b, pkg), versionOf(a, pkg)) || b.startedAt.localeCompare(a.startedAt))[0];
  if (newest) return `Yes (${newest.startedAt.slice(0, 10)}, ${environment(newest)})`;
  const ran = cells.filter(isTested).length;
  if (ran === 0) return `No (no cell could run, ${lastVerified})`;
  const n = `${ran} ${ran === 1 ? "cell" : "cells"}`;
  // Checks are no line to be seen: a status count or a missing line either fires or does not.
  return symptom.kind === "checks" ? `No (no check fired in ${n}, ${lastVerified})` : `No (signature not seen in ${n}, ${lastVerified})`;
}

/** e.g. "uvicorn 0.3.32, gunicorn 23.0.0, Python 3.9.2, UvicornWorker --preload, docker" (every package axis, then the rest). */
export function environment(c: CellRecord): string {
  const worker = `${shortClass(c.workerClass)}${c.preload ? " --preload" : ""}`;
  return [
    ...packageEntries(c.packages).map(([name, version]) => `${name} ${version}`),
    `Python ${c.pythonFull ?? c.python}`,
    worker,
    ...(c.gunicornArgs?.length ? [c.gunicornArgs.join(" ")] : []),
    ...Object.entries(c.envVars ?? {}).map(([n, v]) => `${n}=${v}`),
    c.runtime,
  ].join(", ");
}
