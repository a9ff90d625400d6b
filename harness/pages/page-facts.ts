import { compare } from "@renovatebot/pep440";
import type { CellRecord } from "../cell/record.js";
import { claimCells, compatRows } from "../claims/compat.js";
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
    rows: compatRows(cells, when, r.claim?.package).map(({ version, status }) => ({ version, status })),
    firstFixed: measuredFirstFixed(verdict),
    reproducedLocally: reproducedLocally(cells, r.lastVerified),
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
 * "Yes (date, environment)" from the reproduction of the newest affected version (the one nearest
 * the fix, most recently run if several), so a reader can rebuild the boundary. "No" counts
 * only cells that booted and served (clean or failing otherwise): a cell that could not install or
 * boot had no chance to show the signature, and counting it would overstate the evidence.
 */
export function reproducedLocally(cells: CellRecord[], lastVerified: string): string {
  const newest = cells
    .filter((c) => c.outcome === "reproduced")
    .sort((a, b) => compare(b.uvicorn, a.uvicorn) || b.startedAt.localeCompare(a.startedAt))[0];
  if (newest) return `Yes (${newest.startedAt.slice(0, 10)}, ${environment(newest)})`;
  const ran = cells.filter((c) => c.outcome === "clean" || c.outcome === "other-failure").length;
  if (ran === 0) return `No (no cell could run, ${lastVerified})`;
  return `No (signature not seen in ${ran} ${ran === 1 ? "cell" : "cells"}, ${lastVerified})`;
}

/** e.g. "uvicorn 0.3.32, gunicorn 23.0.0, Python 3.9.2, UvicornWorker --preload, docker". */
export function environment(c: CellRecord): string {
  const extras = Object.entries(c.extras ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, version]) => `${name} ${version}`);
  const worker = `${c.workerClass.split(".").at(-1)}${c.preload ? " --preload" : ""}`;
  return [`uvicorn ${c.uvicorn}`, `gunicorn ${c.gunicorn}`, ...extras, `Python ${c.pythonFull ?? c.python}`, worker, c.runtime].join(", ");
}
