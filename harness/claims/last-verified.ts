import type { CellRecord } from "../cell/record.js";
import type { ResultsFile } from "../store/results-file.js";
import { claimCells } from "./compat.js";
import { primaryCells } from "./runtimes.js";

/** When a set of cells was last verified: a claim is only as fresh as its oldest cell. */
export interface Verification {
  /** Date (UTC) of the oldest of the cells' newest runs. */
  oldest: string;
  newest: string;
  cells: number;
  /** The harness versions that produced them. */
  harnessVersions: string[];
}

export function verificationOf(cells: CellRecord[]): Verification | undefined {
  if (cells.length === 0) return undefined;
  const dates = cells.map((c) => c.startedAt).sort();
  return {
    oldest: (dates[0] as string).slice(0, 10),
    newest: (dates.at(-1) as string).slice(0, 10),
    cells: cells.length,
    harnessVersions: [...new Set(cells.map((c) => c.harnessVersion ?? "unknown"))].sort(),
  };
}

/** The claim's cells (its trigger, one record per cell) and when they were verified. */
export function claimVerification(r: ResultsFile): Verification | undefined {
  if (!r.claim) return undefined;
  return verificationOf(claimCells(r));
}

/**
 * Cells last verified more than `days` before `asOf` (the results' own last-verified date, so a
 * report reads the same whenever it is rendered): what `verify --stale <days>d` would re-run.
 */
export function staleCells(r: ResultsFile, days = 30): CellRecord[] {
  const cutoff = new Date(Date.parse(`${r.lastVerified}T00:00:00Z`) - days * 86_400_000).toISOString();
  return primaryCells(r.cells).filter((c) => c.startedAt < cutoff);
}
