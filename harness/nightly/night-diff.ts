import { cellIdentity } from "../cell/record.js";
import { fingerprints } from "../claims/changes.js";
import { type CompatStatus, compatRows, sortVersions, tablePackage, versionOf } from "../claims/compat.js";
import { judge } from "../claims/judge.js";
import { staleCells } from "../claims/last-verified.js";
import { primaryCells } from "../claims/runtimes.js";
import type { VerdictStatus } from "../claims/verdict.js";
import { stableJson } from "../core/hash.js";
import type { ResultsFile } from "../store/results-file.js";
import type { RowChange, ScenarioNight, TableRow, VerdictFacts } from "./types.js";

/** Cells older than this, before the results' own last-verified date, are stale (as the reports say). */
export const STALE_DAYS = 30;

/**
 * What one night changed in one scenario's results, from the results before the night and after
 * it: the rows of the compatibility table that appeared, moved or went, releases seen for the
 * first time, failure fingerprints never seen before, the verdict, and the dates that moved.
 * Derived from results alone, so a local night and a merge of CI shards say the same.
 */
export function diffNight(
  before: ResultsFile | undefined,
  after: ResultsFile,
  where: { file: string; reportDir: string },
): Omit<ScenarioNight, "page" | "notRun"> {
  const pkg = tablePackage(after);
  const [was, now] = [before ? judge(before) : undefined, judge(after)];
  const known = new Set(fingerprints(before ?? { cells: [] }).keys());
  return {
    scenario: after.scenario,
    file: where.file,
    reportDir: where.reportDir,
    package: pkg,
    ...(after.claim ? { claim: after.claim.text } : {}),
    verdict: { ...(was?.verdict ? { before: facts(was.verdict) } : {}), ...(now.verdict ? { after: facts(now.verdict) } : {}) },
    lastVerified: { ...(before ? { before: before.lastVerified } : {}), after: after.lastVerified },
    claimVerified: {
      ...(was?.verified ? { before: was.verified.oldest } : {}),
      ...(now.verified ? { after: now.verified.oldest } : {}),
    },
    newReleases: before ? newReleases(before, after) : [],
    rows: rowChanges(before, after, pkg),
    // On a first night every fingerprint is new; the table's rows already say that everything is.
    newFingerprints: before
      ? [...fingerprints(after)].filter(([print]) => !known.has(print)).map(([fingerprint, cells]) => ({ fingerprint, cells }))
      : [],
    cells: cellCounts(before, after),
    table: tableOf(after, pkg),
  };
}

/** Whether a reader of the reports would care: the table, a new kind of failure, the verdict, or cells that could not run. */
export function changed(s: Pick<ScenarioNight, "rows" | "newFingerprints" | "verdict" | "notRun">): boolean {
  return s.rows.length > 0 || s.newFingerprints.length > 0 || verdictChanged(s.verdict) || (s.notRun?.cells ?? 0) > 0;
}

export function verdictChanged({ before, after }: ScenarioNight["verdict"]): boolean {
  if (!before || !after) return before !== after;
  return before.status !== after.status || before.lastAffected !== after.lastAffected || before.firstWithout !== after.firstWithout;
}

const facts = (v: { status: VerdictStatus; sentence: string; lastAffected?: string; firstWithout?: string }): VerdictFacts => ({
  status: v.status,
  sentence: v.sentence,
  ...(v.lastAffected ? { lastAffected: v.lastAffected } : {}),
  ...(v.firstWithout ? { firstWithout: v.firstWithout } : {}),
});

/** Versions of each package axis that no cell had before: releases the index published since. */
function newReleases(before: ResultsFile, after: ResultsFile): ScenarioNight["newReleases"] {
  const names = [...new Set(after.cells.flatMap((c) => Object.keys(c.packages)))];
  return names
    .map((name) => {
      const had = new Set(before.cells.map((c) => versionOf(c, name)));
      return { package: name, versions: sortVersions(after.cells.map((c) => versionOf(c, name)).filter((v) => v && !had.has(v))) };
    })
    .filter((r) => r.versions.length > 0);
}

/** Status per (Python, version) of the table's package, over the claim's cells, as the report's table shows it. */
function statuses(r: ResultsFile | undefined, pkg: string): Map<string, { python: string; version: string; status: CompatStatus }> {
  const out = new Map<string, { python: string; version: string; status: CompatStatus }>();
  if (!r) return out;
  const cells = primaryCells(r.cells);
  for (const python of sortVersions(cells.map((c) => c.python)))
    for (const row of compatRows(
      cells.filter((c) => c.python === python),
      r.claim?.when ?? {},
      pkg,
    ))
      out.set(`${python}|${row.version}`, { python, version: row.version, status: row.status });
  return out;
}

function rowChanges(before: ResultsFile | undefined, after: ResultsFile, pkg: string): RowChange[] {
  const [was, now] = [statuses(before, pkg), statuses(after, pkg)];
  const changes: RowChange[] = [];
  for (const [key, { python, version, status }] of now) {
    const old = was.get(key)?.status;
    if (old !== status) changes.push({ python, version, ...(old ? { before: old } : {}), after: status });
  }
  for (const [key, { python, version, status }] of was) if (!now.has(key)) changes.push({ python, version, before: status });
  return changes;
}

/** How many cells the night ran and reused (its runs), and how many results moved, appeared or went. */
function cellCounts(before: ResultsFile | undefined, after: ResultsFile): ScenarioNight["cells"] {
  const earlierRuns = new Set((before?.runs ?? []).map((r) => stableJson(r)));
  const tonight = after.runs.filter((r) => !earlierRuns.has(stableJson(r)));
  const reused = tonight.reduce((n, r) => n + (r.cellsReused ?? 0), 0);
  const ran = tonight.reduce((n, r) => n + r.cells, 0) - reused;
  const old = new Map((before?.cells ?? []).map((c) => [cellIdentity(c), c.startedAt]));
  const ids = new Set(after.cells.map(cellIdentity));
  return {
    total: primaryCells(after.cells).length,
    ran,
    reused,
    reverified: after.cells.filter((c) => old.has(cellIdentity(c)) && old.get(cellIdentity(c)) !== c.startedAt).length,
    added: after.cells.filter((c) => !old.has(cellIdentity(c))).length,
    removed: [...old.keys()].filter((id) => !ids.has(id)).length,
    stale: staleCells(after, STALE_DAYS).length,
  };
}

/** The compatibility table as it stands after the night: a status per Python and overall, for the step summary. */
function tableOf(r: ResultsFile, pkg: string): ScenarioNight["table"] {
  const cells = primaryCells(r.cells);
  const when = r.claim?.when ?? {};
  const pythons = sortVersions(cells.map((c) => c.python));
  const perPython = new Map(
    pythons.map((py) => [
      py,
      new Map(
        compatRows(
          cells.filter((c) => c.python === py),
          when,
          pkg,
        ).map((row) => [row.version, row.status]),
      ),
    ]),
  );
  const rows: TableRow[] = compatRows(cells, when, pkg).map((row) => ({
    version: row.version,
    byPython: Object.fromEntries(
      pythons.flatMap((py) => {
        const status = perPython.get(py)?.get(row.version);
        return status ? [[py, status]] : [];
      }),
    ),
    overall: row.status,
  }));
  return { pythons, rows };
}
