import { compare, gt, gte, lt } from "@renovatebot/pep440";
import type { CellRecord } from "../store/record.js";

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

export const sortVersions = (versions: Iterable<string>) => [...new Set(versions)].sort(compare);

export function matchesClaim(c: CellRecord, when: ClaimFilter): boolean {
  return (
    (when.preload === undefined || c.preload === when.preload) &&
    (when.app === undefined || c.app === when.app) &&
    (when.workerClass === undefined || c.workerClass === when.workerClass || c.workerClass.endsWith(`.${when.workerClass}`))
  );
}

/**
 * A version's status, derived from its cells and never guessed: any reproduction makes it
 * Affected; Fixed needs every cell clean (booted, all probes answered by all workers, no signature).
 */
export function compatStatus(cells: CellRecord[]): { status: CompatStatus; detail: string } {
  const n = cells.length;
  const count = (o: CellRecord["outcome"]) => cells.filter((c) => c.outcome === o).length;
  const reproduced = count("reproduced");
  const other = count("other-failure");
  const clean = count("clean");
  if (n === 0) return { status: "Not testable", detail: "no cells" };
  if (reproduced > 0) return { status: "Affected", detail: `${reproduced}/${n} cells reproduced` };
  if (other > 0) return { status: "Affected differently", detail: `${other}/${n} cells failed otherwise, no signature` };
  if (clean === n) return { status: "Fixed", detail: `${n}/${n} cells clean` };
  const untestable = cells.filter((c) => c.outcome !== "clean");
  const kinds = [...new Set(untestable.map((c) => c.outcome))].join(", ");
  if (clean === 0) return { status: "Not testable", detail: `${n}/${n} cells ${kinds}` };
  return { status: "Inconclusive", detail: `${clean}/${n} clean, ${n - clean} ${kinds}` };
}

export function compatRows(cells: CellRecord[], when: ClaimFilter): CompatRow[] {
  const relevant = cells.filter((c) => matchesClaim(c, when));
  return sortVersions(relevant.map((c) => c.uvicorn)).map((version) => ({
    version,
    ...compatStatus(relevant.filter((c) => c.uvicorn === version)),
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

/** One sentence on a "first fixed release X" claim, as the results stand. */
export function claimSentence(rows: CompatRow[], firstFixed: string, text: string): string {
  const quote = `The claim "${text}"`;
  const usable = (r: CompatRow) => r.status !== "Not testable" && r.status !== "Inconclusive";
  const tested = rows.filter(usable);
  const affected = tested.filter((r) => r.status === "Affected");
  if (tested.length === 0) return `${quote} is not settled: no tested version gave a usable result.`;
  const stillAffected = affected.filter((r) => gte(r.version, firstFixed));
  if (stillAffected.length > 0) {
    return `${quote} is refuted: ${stillAffected.map((r) => r.version).join(", ")} (at or after ${firstFixed}) still reproduce the signature.`;
  }
  if (affected.length === 0) {
    return `${quote} is not confirmed: the signature never appeared in any tested version (${tested[0]?.version} to ${tested.at(-1)?.version}), so these cells show no bug for ${firstFixed} to have fixed.`;
  }
  const lastAffected = affected.at(-1)?.version as string;
  // The first version after the last reproduction that ran and never showed the signature.
  const firstFree = tested.find((r) => gt(r.version, lastAffected))?.version;
  if (!firstFree) return `${quote} is not settled: ${lastAffected} reproduces and no later version could be tested.`;
  const untested = rows.filter((r) => gt(r.version, lastAffected) && lt(r.version, firstFree)).map((r) => r.version);
  const gap = untested.length > 0 ? ` (${untested.join(", ")} in between could not be tested)` : "";
  const later = tested.filter((r) => gte(r.version, firstFree));
  const otherwise = later.filter((r) => r.status === "Affected differently").map((r) => r.version);
  const caveat = otherwise.length > 0 ? `; ${otherwise.join(", ")} still fail in other ways (see the grid)` : "";
  if (lt(firstFree, firstFixed)) {
    return `${quote} is not supported: the signature last appears in ${lastAffected} and already never in ${firstFree}, before ${firstFixed}${gap}${caveat}.`;
  }
  if (firstFree === firstFixed && untested.length === 0 && otherwise.length === 0) {
    return `${quote} is confirmed: every tested version before ${firstFixed} reproduces (last: ${lastAffected}) and every tested version from ${firstFixed} on is clean.`;
  }
  return `${quote} is consistent with the results: the signature last appears in ${lastAffected} and never from ${firstFree} on${gap}${caveat}.`;
}
