import { join, relative } from "node:path";
import { judge } from "../claims/judge.js";
import { staleCells } from "../claims/last-verified.js";
import { primaryCells } from "../claims/runtimes.js";
import { writeAtomic } from "../core/json-file.js";
import { escapeHtml } from "../report/html-escape.js";
import type { ResultsFile } from "../store/results-file.js";
import type { Catalog } from "./catalog.js";
import { STALE_DAYS } from "./night-diff.js";

/** One scenario as the catalog index lists it; links are relative to the reports folder. */
interface IndexRow {
  scenario: string;
  description?: string;
  scenarioFile: string;
  report: string;
  page?: string;
  claim?: string;
  verdict?: { status: string; sentence: string };
  claimVerified?: string;
  lastVerified?: string;
  cells: number;
  stale: number;
}

/**
 * reports/README.md and reports/index.html: every scenario of the catalog with its claim, verdict,
 * the claim's last-verified date, its stale cells and links to its report and fix page. What a
 * maintainer opens first. Rendered from the results alone (no clock), so a night that changed
 * nothing rewrites the same bytes.
 */
export async function writeCatalogIndex(
  outDir: string,
  catalog: Catalog,
  results: Map<string, ResultsFile | undefined>,
): Promise<string[]> {
  const rows = catalog.entries.map((e) => indexRow(outDir, e, results.get(e.scenario.scenario)));
  const catalogLink = relative(outDir, catalog.file);
  const files = [join(outDir, "README.md"), join(outDir, "index.html")];
  await writeAtomic(files[0] as string, renderIndexMarkdown(rows, catalogLink));
  await writeAtomic(files[1] as string, renderIndexHtml(rows, catalogLink));
  return files;
}

function indexRow(outDir: string, e: Catalog["entries"][number], r: ResultsFile | undefined): IndexRow {
  const s = e.scenario;
  const judged = r ? judge(r) : undefined;
  const when = Object.entries(s.claim?.when ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  return {
    scenario: s.scenario,
    ...(s.description ? { description: s.description.trim() } : {}),
    scenarioFile: relative(outDir, e.file),
    report: `${s.scenario}/`,
    ...(e.page ? { page: relative(outDir, e.page) } : {}),
    ...(s.claim ? { claim: `${s.claim.text} (${s.claim.package}${when ? `, ${when}` : ""})` } : {}),
    ...(judged?.verdict ? { verdict: { status: judged.verdict.status, sentence: judged.verdict.sentence } } : {}),
    ...(judged?.verified ? { claimVerified: judged.verified.oldest } : {}),
    ...(r ? { lastVerified: r.lastVerified } : {}),
    cells: r ? primaryCells(r.cells).length : 0,
    stale: r ? staleCells(r, STALE_DAYS).length : 0,
  };
}

const INTRO = (catalog: string) =>
  `Every scenario of the catalog (${catalog}), from its results.json: the claim it checks, the verdict, when the claim was last verified (a claim is as fresh as its oldest cell), its stale cells (last verified more than ${STALE_DAYS} days before the rest) and its report. \`repro-matrix nightly\` writes this page with the reports and the fix pages.`;

const mdEsc = (s: string) => s.replaceAll("|", "\\|").replace(/\s*\n\s*/g, " ");
const staleText = (r: IndexRow) => (r.lastVerified ? `${r.stale} of ${r.cells}` : "—");
const verifiedText = (r: IndexRow) => r.claimVerified ?? (r.lastVerified ? `no claim (results ${r.lastVerified})` : "not run yet");

export function renderIndexMarkdown(rows: IndexRow[], catalog: string): string {
  const out = ["# Reports", "", INTRO(`[${catalog}](${catalog})`), ""];
  out.push("| Scenario | Claim | Verdict | Claim last verified | Stale cells | Fix page |", "| --- | --- | --- | --- | --- | --- |");
  for (const r of rows)
    out.push(
      `| [${r.scenario}](${r.report}README.md) | ${mdEsc(r.claim ?? "—")} | ${r.verdict ? `**${r.verdict.status}**` : r.lastVerified ? "no claim" : "not run yet"} | ${verifiedText(r)} | ${staleText(r)} | ${r.page ? `[${r.page.split("/").at(-1)}](${r.page})` : "—"} |`,
    );
  out.push("");
  for (const r of rows) {
    out.push(`## ${r.scenario}`, "");
    if (r.description) out.push(r.description, "");
    if (r.verdict) out.push(`**Verdict: ${r.verdict.status}.** ${r.verdict.sentence}`, "");
    out.push(
      `Scenario [${r.scenarioFile}](${r.scenarioFile}) · report [README.md](${r.report}README.md), [index.html](${r.report}index.html), [results.json](${r.report}results.json)${r.lastVerified ? ` · results last verified ${r.lastVerified}` : " · not run yet"}`,
      "",
    );
  }
  return out.join("\n");
}

const CSS = `body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.refuted{color:#a40000}.confirmed{color:#1a6b1a}.not-reproduced,.not-settled{color:#805b00}
.sentence{color:#444;font-size:.92em}.date{white-space:nowrap}`;

export function renderIndexHtml(rows: IndexRow[], catalog: string): string {
  const e = escapeHtml;
  const link = (href: string, text: string) => `<a href="${e(href)}">${e(text)}</a>`;
  const body = rows
    .map((r) => {
      const verdict = r.verdict
        ? `<strong class="${e(r.verdict.status)}">${e(r.verdict.status)}</strong><div class="sentence">${e(r.verdict.sentence)}</div>`
        : e(r.lastVerified ? "no claim" : "not run yet");
      const report = [
        link(`${r.report}index.html`, "index.html"),
        link(`${r.report}README.md`, "README.md"),
        link(`${r.report}results.json`, "results.json"),
      ];
      return `<tr><td>${link(`${r.report}index.html`, r.scenario)}<div class="sentence">${link(r.scenarioFile, r.scenarioFile)}</div></td><td>${e(r.claim ?? "—")}</td><td>${verdict}</td><td class="date">${e(verifiedText(r))}</td><td>${e(staleText(r))}</td><td>${r.page ? link(r.page, r.page.split("/").at(-1) as string) : "—"}</td><td>${report.join("<br>")}</td></tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>repro-matrix reports</title><style>${CSS}</style></head>
<body><h1>Reports</h1>
<p>${e(INTRO(catalog)).replace(/`([^`]+)`/g, "<code>$1</code>")}</p>
<table><thead><tr><th>Scenario</th><th>Claim</th><th>Verdict</th><th>Claim last verified</th><th>Stale cells</th><th>Fix page</th><th>Report</th></tr></thead>
<tbody>
${body}
</tbody></table>
</body></html>
`;
}
