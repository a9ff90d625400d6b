import { compare } from "@renovatebot/pep440";
import { axisPackageOf, versionOf } from "../cell/cell.js";
import { type Showing, showing, untestedOnThisPython } from "../cell/outcome.js";
import type { CellRecord } from "../cell/record.js";
import type { ResultsFile } from "../store/results-file.js";
import { primaryCells } from "./runtimes.js";
import { symptomOf } from "./symptom.js";

export type CompatStatus = "Affected" | "Fixed" | "Affected differently" | "Not testable" | "Inconclusive";

export interface CompatRow {
  version: string;
  status: CompatStatus;
  /** e.g. "6/6 cells reproduced". */
  detail: string;
}

export interface ClaimFilter {
  preload?: boolean | undefined;
  app?: string | undefined;
  workerClass?: string | undefined;
}

/** The claim's cells: one record per cell (docker preferred; under era, the decisive Pythons'), within its trigger. */
export const claimCells = (r: Pick<ResultsFile, "cells" | "claim" | "pythonPolicy">) =>
  tableCells(r).filter((c) => matchesClaim(c, r.claim?.when ?? {}));

/** The cells the tables read: one record per cell, and under `pythonPolicy: era` only the decisive Pythons' (decisiveCells). */
export const tableCells = (r: Pick<ResultsFile, "cells" | "claim" | "pythonPolicy">) => {
  const cells = primaryCells(r.cells);
  return r.pythonPolicy === "era" ? decisiveCells(cells, tablePackage(r)) : cells;
};

/**
 * Under era, a release its era Python could not test ran on further Pythons until one could: its
 * status is that of the Pythons that tested it, not of a mixture with the ones that could not. A
 * release untestable on every Python keeps every cell (each says why).
 */
export function decisiveCells(cells: CellRecord[], pkg: string): CellRecord[] {
  const testable = new Set<string>();
  for (const c of cells) if (!untestedOnThisPython(c.outcome)) testable.add(`${versionOf(c, pkg)}|${c.python}`);
  const testedSomewhere = new Set([...testable].map((k) => k.split("|")[0]));
  return cells.filter((c) => !testedSomewhere.has(versionOf(c, pkg)) || testable.has(`${versionOf(c, pkg)}|${c.python}`));
}

export const sortVersions = (versions: Iterable<string>) => [...new Set(versions)].sort(compare);

export function matchesClaim(c: CellRecord, when: ClaimFilter): boolean {
  return (
    (when.preload === undefined || c.preload === when.preload) &&
    (when.app === undefined || c.app === when.app) &&
    (when.workerClass === undefined || c.workerClass === when.workerClass || c.workerClass.endsWith(`.${when.workerClass}`))
  );
}

/**
 * A version's status, derived from its cells and never guessed (read through the cell model's
 * `showing`): any reproduction makes it Affected; Fixed needs every cell clean (booted, all
 * probes answered by all workers, nothing reproduced). A flaky cell is never Fixed.
 */
export function compatStatus(cells: CellRecord[]): { status: CompatStatus; detail: string } {
  const n = cells.length;
  const shown = (s: Showing) => cells.filter((c) => showing(c) === s).length;
  const [reproduced, other, clean] = [shown("affected"), shown("unaffected"), shown("fixed")];
  const flakyCount = cells.filter((c) => c.outcome === "flaky").length;
  const flaky = flakyCount > 0 ? ` (${flakyCount} flaky)` : "";
  if (n === 0) return { status: "Not testable", detail: "no cells" };
  if (reproduced > 0) return { status: "Affected", detail: `${reproduced}/${n} cells reproduced${flaky}` };
  if (other > 0) return { status: "Affected differently", detail: `${other}/${n} cells failed otherwise, ${nothingFired(cells)}${flaky}` };
  if (clean === n) return { status: "Fixed", detail: `${n}/${n} cells clean` };
  const kinds = [...new Set(cells.filter((c) => c.outcome !== "clean").map((c) => c.outcome))].join(", ");
  if (clean === 0) return { status: "Not testable", detail: `${n}/${n} cells ${kinds}` };
  return { status: "Inconclusive", detail: `${clean}/${n} clean, ${n - clean} ${kinds}` };
}

/** Cells that recorded checks were judged by them (a signature is one check among others), the rest by signatures alone. */
const nothingFired = (cells: CellRecord[]) => (symptomOf(undefined, cells).kind === "checks" ? "no check fired" : "no signature");

export { versionOf };

/** The package the results' tables are about: the claim's, or else the one whose versions vary. */
export const tablePackage = (r: Pick<ResultsFile, "cells" | "claim">) => axisPackageOf(r.cells, r.claim?.package);

/** One row per version of `pkg` (the claim's package), over the cells the trigger selects. */
export function compatRows(cells: CellRecord[], when: ClaimFilter, pkg: string): CompatRow[] {
  const relevant = cells.filter((c) => matchesClaim(c, when));
  return sortVersions(relevant.map((c) => versionOf(c, pkg))).map((version) => ({
    version,
    ...compatStatus(relevant.filter((c) => versionOf(c, pkg) === version)),
  }));
}

/** The first version from which every tested version is Fixed, if any. */
export function firstCleanVersion(rows: CompatRow[]): string | undefined {
  let first: string | undefined;
  for (const r of rows) {
    if (r.status === "Fixed") first ??= r.version;
    else if (r.status !== "Not testable") first = undefined;
  }
  return first;
}
