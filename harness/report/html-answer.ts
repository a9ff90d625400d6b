import type { CellRecord } from "../cell/record.js";
import { type CompatRow, compatRows, sortVersions, tableCells, tablePackage, versionOf } from "../claims/compat.js";
import { type Symptom, symptomOf } from "../claims/symptom.js";
import type { ClaimVerdict } from "../claims/verdict.js";
import { normalizeName } from "../core/package-name.js";
import type { ResultsFile } from "../store/results-file.js";
import { escapeHtml } from "./html-escape.js";

/**
 * What a reader of the page came for, before any grid: each version's status per Python and
 * overall, then the verdict in one sentence. Issue #22: a 90-word verdict and a 42-row table above
 * the grid buried the answer.
 */
export function compatTable(r: ResultsFile, cells: CellRecord[]): string {
  const when = r.claim?.when ?? {};
  const pkg = tablePackage(r);
  const rows = compatRows(cells, when, pkg);
  if (rows.length === 0) return "";
  // Under era each release has its own Python: one column names it, instead of one per Python.
  const era = r.pythonPolicy === "era";
  const pythons = era ? [] : sortVersions(cells.map((c) => c.python));
  const na = notApplicableOf(r, pkg);
  const perPython = new Map(
    pythons.map((py) => [
      py,
      new Map(
        compatRows(
          cells.filter((c) => c.python === py),
          when,
          pkg,
        ).map((x) => [x.version, x]),
      ),
    ]),
  );
  const td = (x: { status: string; detail: string } | undefined, cls = "") =>
    x
      ? `<td class="s-${x.status.toLowerCase().replaceAll(" ", "-")}${cls}" title="${escapeHtml(x.detail)}">${escapeHtml(x.status)}</td>`
      : "<td></td>";
  // A Python the release excludes shows as such, apart from failures: it has no cell.
  const cellsOf = (row: CompatRow) => [
    ...pythons.map((py) => {
      const why = na(row.version, py);
      return perPython.get(py)?.get(row.version) ?? (why ? { status: "Not applicable", detail: why } : undefined);
    }),
    row,
  ];
  const eraPythons = (row: CompatRow) =>
    era
      ? `<td>${escapeHtml(sortVersions(cells.filter((c) => versionOf(c, pkg) === row.version).map((c) => c.python)).join(", "))}</td>`
      : "";
  const tr = (row: CompatRow, attrs = "") =>
    `<tr${attrs}><th scope="row">${escapeHtml(row.version)}</th>${eraPythons(row)}${cellsOf(row)
      .map((x, i, all) => td(x, i === all.length - 1 ? " overall" : ""))
      .join("")}</tr>`;
  const looks = rows.map((row) =>
    cellsOf(row)
      .map((x) => x?.status ?? "")
      .join("|"),
  );
  // As in the heatmap: a sweep's 184 rows are mostly runs of one status, folded behind a line.
  const body: string[] = [];
  for (let i = 0; i < rows.length; ) {
    body.push(tr(rows[i] as CompatRow));
    let j = i + 1;
    while (j < rows.length && looks[j] === looks[i]) j++;
    const run = rows.slice(i + 1, j);
    if (run.length >= 2)
      body.push(
        `<tr class="run"><th scope="row" colspan="${pythons.length + (era ? 3 : 2)}"><button type="button" data-run="c${i}" aria-expanded="false">${escapeHtml(`${run[0]?.version}–${run.at(-1)?.version}`)}: ${run.length} releases, same as above</button></th></tr>`,
        ...run.map((row) => tr(row, ` data-run-of="c${i}" hidden`)),
      );
    else body.push(...run.map((row) => tr(row)));
    i = j;
  }
  const whenText = Object.entries(when)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  return [
    `<section id="compat"><h2>${escapeHtml(pkg)} versions</h2>`,
    `<table class="compat"><thead><tr><th>Version</th>${era ? "<th>Python (era)</th>" : ""}${pythons.map((py) => `<th>Python ${escapeHtml(py)}</th>`).join("")}<th>Overall</th></tr></thead><tbody>`,
    body.join("\n"),
    "</tbody></table>",
    `<p class="hint">Over ${whenText ? `the cells with ${escapeHtml(whenText)}` : "all cells"}. ${LEGEND[symptomOf(r.claim, cells).kind]} Not testable: no cell could run. Not applicable: the release excludes that Python (its Requires-Python, or its wheels), so there is no cell.${era ? " Each release ran on its era Python, and on others only where no cell could be tested there; the Python that tested it decides." : ""} Hover a status for its cell counts.</p></section>`,
  ].join("\n");
}

/** What Affected, Fixed and Affected differently mean, by what decided a reproduction. */
const LEGEND: Record<Symptom["kind"], string> = {
  signature:
    "Affected: the signature appeared in a cell. Fixed: every cell booted, every worker answered the probes, no signature. Affected differently: failures without the signature.",
  checks:
    "Affected: a reproduction check fired in a cell. Fixed: every cell booted, every worker answered the probes, no check fired. Affected differently: failures, no check fired.",
  unknown:
    "Affected: a cell reproduced. Fixed: every cell booted, every worker answered the probes, none reproduced. Affected differently: failures, none reproduced.",
};

const STATUS: Record<ClaimVerdict["status"], string> = {
  confirmed: "Confirmed",
  refuted: "Refuted",
  "not-reproduced": "Not reproduced",
  "not-settled": "Not settled",
};

/** The verdict as one short sentence, from the verdict's own fields: its boundary against the claim. */
export function shortVerdict(r: ResultsFile, v: ClaimVerdict, symptom = symptomOf(r.claim, tableCells(r))): string {
  const bits = [
    v.lastAffected ? `last affected ${v.lastAffected}` : `${symptom.label} never appeared`,
    v.firstWithout ? `first without ${symptom.label} ${v.firstWithout}` : "",
    v.untestedBetween.length > 0 ? `${v.untestedBetween.length} untestable in between` : "",
  ].filter(Boolean);
  const claimed = r.claim ? ` (claimed fixed in ${r.claim.firstFixed})` : "";
  return `${STATUS[v.status]}: ${bits.join(", ")}${claimed}.`;
}

/** Names equal under PEP 503 (uvicorn_worker is uvicorn-worker). */
const samePackage = (a: string, b: string) => normalizeName(a) === normalizeName(b);

type NotApplicable = NonNullable<ResultsFile["notApplicable"]>[number];

/** Whether entry `e` rules out `version` of `pkg` on `python`: the release itself, or another package every cell pins. */
export const rulesOut = (e: NotApplicable, pkg: string, version: string, python: string) =>
  e.pythons.includes(python) && (!samePackage(e.package, pkg) || e.version === version);

/** Why a version of `pkg` has no cell on a Python by the releases' own metadata (its own, or another pinned package's). */
export function notApplicableOf(r: ResultsFile, pkg: string): (version: string, python: string) => string | undefined {
  const entries = r.notApplicable ?? [];
  return (version, python) => {
    const own = entries.find((e) => samePackage(e.package, pkg) && rulesOut(e, pkg, version, python));
    if (own) return own.reason;
    const other = entries.find((e) => rulesOut(e, pkg, version, python));
    return other ? `${other.package} ${other.version}: ${other.reason}` : undefined;
  };
}
