import { TABLE_HEADING } from "../pages/compat-table.js";
import { changed, verdictChanged } from "./night-diff.js";
import type { NightSummary, ScenarioNight } from "./types.js";

// A night's summary, for people: markdown for $GITHUB_STEP_SUMMARY and the pull request, plain
// lines for the terminal. Both say the same things in the same order; only markdown has tables.

const esc = (s: string) => s.replaceAll("|", "\\|").replace(/\s*\n\s*/g, " ");
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const moved = (before: string | undefined, after: string | undefined) =>
  before === after ? (after ?? "—") : `${before ?? "—"} → ${after ?? "—"}`;

/** The night's verdict on itself, in one line. */
export function headline(n: NightSummary): string {
  const hit = n.scenarios.filter(changed).map((s) => s.scenario);
  if (n.mode === "shard") return `Shard run of ${plural(n.scenarios.length, "scenario")}: the merge decides what changed.`;
  if (hit.length > 0) return `Changed: ${hit.join(", ")} (${hit.length} of ${plural(n.scenarios.length, "scenario")}).`;
  return `Nothing a reader would care about changed in ${plural(n.scenarios.length, "scenario")}; only dates moved, if any.`;
}

/** Each thing that changed in one scenario, one line each: rows, releases, fingerprints, verdict, cells not run, the page. */
export function changeLines(s: ScenarioNight): string[] {
  const lines: string[] = [];
  if (verdictChanged(s.verdict))
    lines.push(`verdict: ${moved(s.verdict.before?.status, s.verdict.after?.status)}: ${s.verdict.after?.sentence ?? ""}`);
  for (const r of s.newReleases) lines.push(`new release${r.versions.length === 1 ? "" : "s"}: ${r.package} ${r.versions.join(", ")}`);
  for (const r of s.rows) {
    const where = `Python ${r.python} · ${s.package} ${r.version}`;
    if (!r.before) lines.push(`new row: ${where}: ${r.after}`);
    else if (!r.after) lines.push(`gone: ${where} (was ${r.before})`);
    else lines.push(`changed: ${where}: ${r.before} → ${r.after}`);
  }
  for (const f of s.newFingerprints) lines.push(`new failure: ${f.fingerprint} (${plural(f.cells, "cell")})`);
  if (s.notRun && s.notRun.cells > 0) {
    const missing =
      s.notRun.missing.length > 0
        ? `; without any result: ${s.notRun.missing.slice(0, 5).join(", ")}${s.notRun.missing.length > 5 ? ", …" : ""}`
        : "";
    lines.push(
      `not run: shard ${s.notRun.shards.join(", ")} did not finish: ${plural(s.notRun.cells, "cell")} not run tonight, ${s.notRun.carried} kept with their last verification${missing}`,
    );
  }
  return lines;
}

/** The dates that moved and what the night ran: worth saying, not a change a reader must look at. */
export function dateLine(s: ScenarioNight): string {
  const c = s.cells;
  const counts = [
    `${c.ran} run`,
    `${c.reused} reused`,
    ...(c.reverified ? [`${c.reverified} re-verified`] : []),
    ...(c.added ? [`${c.added} new`] : []),
    ...(c.removed ? [`${c.removed} removed`] : []),
    ...(c.stale ? [`${c.stale} stale`] : []),
  ].join(", ");
  const claim = s.claim ? `; claim last verified ${moved(s.claimVerified.before, s.claimVerified.after)}` : "";
  return `cells: ${counts} of ${c.total}; last verified ${moved(s.lastVerified.before, s.lastVerified.after)}${claim}`;
}

function pageLine(s: ScenarioNight): string | undefined {
  if (!s.page) return undefined;
  if ("skipped" in s.page) return `page ${s.page.file}: left as it is: ${s.page.skipped}`;
  if (s.page.changes.length === 0) return `page ${s.page.file}: current`;
  // A field the page repeats changes the same way each time: said once. A table is named by its size.
  const said = new Set<string>();
  for (const c of s.page.changes) {
    const rows = (text: string) => (text === "(no rows)" ? 0 : text.split(", ").length);
    said.add(
      c.field === TABLE_HEADING ? `${c.field}: ${rows(c.before)} rows → ${rows(c.after)} rows` : `${c.field}: ${c.before} → ${c.after}`,
    );
  }
  return `page ${s.page.file}: ${[...said].join("; ")}`;
}

/** For the terminal: the headline, then per scenario what changed, the page and the dates. */
export function renderNightText(n: NightSummary): string {
  const out = [`night of ${n.date}: ${headline(n)}`];
  for (const s of n.scenarios) {
    out.push(`${s.scenario}${s.verdict.after ? ` (${s.verdict.after.status})` : ""}: ${s.reportDir}/README.md`);
    for (const line of [...changeLines(s), pageLine(s), dateLine(s)]) if (line) out.push(`  ${line}`);
  }
  return `${out.join("\n")}\n`;
}

/** For $GITHUB_STEP_SUMMARY and the pull request: an overview table, then per scenario its verdict, changes and table. */
export function renderNightMarkdown(n: NightSummary): string {
  const out = [`# Nightly run, ${n.date}`, "", headline(n), ""];
  out.push(
    "| Scenario | Verdict | Claim last verified | Cells run · reused | Stale cells | Changes |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  for (const s of n.scenarios)
    out.push(
      `| [${s.scenario}](${s.reportDir}/README.md) | ${verdictCell(s)} | ${s.claim ? moved(s.claimVerified.before, s.claimVerified.after) : "no claim"} | ${s.cells.ran} · ${s.cells.reused} | ${s.cells.stale} | ${changeLines(s).length || "none"} |`,
    );
  out.push("");
  for (const s of n.scenarios) out.push(...scenarioSection(s));
  return `${out.join("\n").trimEnd()}\n`;
}

function verdictCell(s: ScenarioNight): string {
  const { before, after } = s.verdict;
  if (!after) return "no claim";
  return verdictChanged(s.verdict) ? `${before?.status ?? "—"} → **${after.status}**` : after.status;
}

function scenarioSection(s: ScenarioNight): string[] {
  const out = [`## ${s.scenario}`, ""];
  if (s.claim && s.verdict.after) out.push(`**Verdict: ${s.verdict.after.status}.** ${s.verdict.after.sentence}`, "");
  const lines = changeLines(s);
  out.push(...(lines.length > 0 ? lines : ["no change in the table, the verdict or the failures"]).map((l) => `- ${esc(l)}`));
  const page = pageLine(s);
  if (page) out.push(`- ${esc(page)}`);
  out.push(`- ${dateLine(s)}`, "");
  if (s.table.rows.length > 0) {
    const pythons = s.table.pythons;
    const header = ["Version", ...pythons.map((py) => `Python ${py}`), ...(pythons.length > 1 ? ["Overall"] : [])];
    out.push(`<details><summary>Compatibility table (${esc(s.package)}, ${s.table.rows.length} versions)</summary>`, "");
    out.push(`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`);
    for (const row of s.table.rows)
      out.push(
        `| ${[row.version, ...pythons.map((py) => row.byPython[py] ?? "—"), ...(pythons.length > 1 ? [row.overall] : [])].join(" | ")} |`,
      );
    out.push("", "</details>", "");
  }
  return out;
}
