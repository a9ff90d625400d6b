import { gzipSync } from "node:zlib";
import { cellId, cellLabel, envText, packageEntries, shortClass, versionOf } from "../cell/cell.js";
import { OUTCOMES } from "../cell/outcome.js";
import type { CellRecord } from "../cell/record.js";
import { sortVersions, tableCells, tablePackage } from "../claims/compat.js";
import { failureFingerprint } from "../claims/fingerprint.js";
import { type Judgement, judge } from "../claims/judge.js";
import { type Symptom, symptomOf } from "../claims/symptom.js";
import type { ClaimVerdict, ConfigVerdict } from "../claims/verdict.js";
import { normalizeName } from "../core/package-name.js";
import { runtimeRank } from "../runtimes/registry.js";
import type { ResultsFile } from "../store/results-file.js";
import { envEntry, type StoredEnv } from "../store/stored-results.js";
import { compatTable, rulesOut, shortVerdict } from "./html-answer.js";
import { bootProfileSection } from "./html-boot-profile.js";
import { CLIENT_SCRIPT, type ClientCell, type ClientData } from "./html-client.js";
import { escapeHtml } from "./html-escape.js";
import { describeMachine } from "./machine-line.js";
import { configOf, rerunCommand } from "./rerun-command.js";

export { escapeHtml };

/** A heatmap column axis: how to read it from a cell, label it and order its values. */
interface Axis {
  name: string;
  /** Names the axis's filter. */
  heading: string;
  of: (c: CellRecord) => string;
  label: (v: string) => string;
  sort: (vs: string[]) => string[];
}
const alpha = (vs: string[]) => [...new Set(vs)].sort();

/**
 * The heatmap's column axes: every axis of a cell but the rows' package (`pkg`), each other
 * package by its name. Axes with one value name the whole table once; the rest get a header row
 * and a filter each.
 */
function axesFor(cells: CellRecord[], pkg: string): Axis[] {
  const others = [...new Set(cells.flatMap((c) => packageEntries(c.packages).map(([n]) => n)))].filter(
    (n) => normalizeName(n) !== normalizeName(pkg),
  );
  return [
    { name: "python", heading: "Python", of: (c) => c.python, label: (v) => `Python ${v}`, sort: sortVersions },
    ...others.map(
      (n): Axis => ({
        name: `package:${n}`,
        heading: n,
        of: (c) => versionOf(c, n),
        label: (v) => `${n} ${v || "(none)"}`,
        sort: sortVersions,
      }),
    ),
    // The full path is the value: uvicorn.workers.UvicornWorker and uvicorn_worker.UvicornWorker differ.
    { name: "workerClass", heading: "worker class", of: (c) => c.workerClass, label: shortClass, sort: alpha },
    {
      name: "preload",
      heading: "preload",
      of: (c) => (c.preload ? "preload" : "no-preload"),
      label: (v) => (v === "preload" ? "--preload" : "no preload"),
      sort: alpha,
    },
    { name: "app", heading: "app", of: (c) => c.app, label: (v) => v, sort: alpha },
    {
      name: "workers",
      heading: "workers",
      of: (c) => String(c.workers),
      label: (v) => `-w ${v}`,
      sort: (vs) => [...new Set(vs)].sort((a, b) => +a - +b),
    },
    {
      name: "gunicornArgs",
      heading: "Gunicorn arguments",
      of: (c) => (c.gunicornArgs ?? []).join(" "),
      label: (v) => v || "no extra arguments",
      sort: alpha,
    },
    { name: "env", heading: "environment", of: (c) => envText(c.envVars), label: (v) => v || "no extra environment", sort: alpha },
  ];
}

/**
 * The grid's axes: every one, but under `pythonPolicy: era` not Python, which follows the release
 * (each row names its own); as a column axis it would leave most of the grid empty.
 */
const axesOf = (r: Pick<ResultsFile, "pythonPolicy">, axes: Axis[]): Axis[] =>
  r.pythonPolicy === "era" ? axes.filter((a) => a.name !== "python") : axes;

interface Grid {
  /** The rows' package, and the column axes. */
  pkg: string;
  axes: Axis[];
  /** Each column's value per axis (axes order), sorted. */
  columns: string[][];
  /** Axes with more than one value: one header row and one filter each. */
  varying: number[];
  values: string[][];
  /** Why a version has no cell on a Python by the releases' own metadata (column axes with Python only). */
  notApplicable: (version: string, python: string) => string | undefined;
}

function gridOf(r: ResultsFile, cells: CellRecord[], pkg: string): Grid {
  const axes = axesOf(r, axesFor(cells, pkg));
  const values = axes.map((a) => a.sort(cells.map(a.of)));
  const rank = axes.map((_, i) => new Map(values[i]?.map((v, j) => [v, j])));
  const unique = new Map(cells.map((c) => axes.map((a) => a.of(c))).map((col) => [col.join("|"), col]));
  const columns = [...unique.values()].sort((x, y) => {
    for (let i = 0; i < axes.length; i++) {
      const d = (rank[i]?.get(x[i] ?? "") ?? 0) - (rank[i]?.get(y[i] ?? "") ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });
  const varying = values.flatMap((vs, i) => (vs.length > 1 ? [i] : []));
  // A single column still needs a header row to name it.
  const named = varying.length > 0 ? varying : [axes.findIndex((a) => a.name === "workerClass")];
  return { pkg, axes, columns, varying: named, values, notApplicable: naReason(r, pkg) };
}

/** Why a version of the rows' package has no cell on a Python by the releases' own metadata, naming the release that excludes it. */
function naReason(r: ResultsFile, pkg: string): (version: string, python: string) => string | undefined {
  const entries = r.notApplicable ?? [];
  return (version, python) => {
    const e = entries.find((x) => rulesOut(x, pkg, version, python));
    return e ? `${e.package} ${e.version}: ${e.reason}` : undefined;
  };
}

/** Distinct failure fingerprints, most frequent first, keyed F1, F2, ... */
function fingerprintKeys(cells: CellRecord[]): Map<string, { key: string; count: number; outcomes: Set<string> }> {
  const seen = new Map<string, { count: number; outcomes: Set<string> }>();
  for (const c of cells) {
    const fp = failureFingerprint(c);
    if (fp === undefined) continue;
    const s = seen.get(fp) ?? { count: 0, outcomes: new Set<string>() };
    s.count++;
    s.outcomes.add(c.outcome);
    seen.set(fp, s);
  }
  const sorted = [...seen].sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b));
  return new Map(sorted.map(([fp, s], i) => [fp, { key: `F${i + 1}`, ...s }]));
}
type Keys = ReturnType<typeof fingerprintKeys>;

/** Header rows: one per varying axis, neighbours with the same values so far merged into one th. */
function headerRows(g: Grid, rows: number): string {
  return g.varying
    .map((axis, depth) => {
      const prefix = (col: string[]) =>
        g.varying
          .slice(0, depth + 1)
          .map((i) => col[i])
          .join("|");
      const groups: number[][] = [];
      g.columns.forEach((col, i) => {
        const last = groups.at(-1);
        if (last && prefix(g.columns[last[0] as number] as string[]) === prefix(col)) last.push(i);
        else groups.push([i]);
      });
      const a = g.axes[axis] as Axis;
      const leaf = depth === g.varying.length - 1;
      const ths = groups.map((cols) => {
        const v = g.columns[cols[0] as number]?.[axis] ?? "";
        return `<th colspan="${cols.length}" data-cols="${cols.join(",")}"${leaf ? ' class="leaf"' : ""} title="${escapeHtml(v)}">${escapeHtml(a.label(v))}</th>`;
      });
      return `<tr>${depth === 0 ? `<th rowspan="${rows}" class="corner">${escapeHtml(g.pkg)}</th>` : ""}${ths.join("")}</tr>`;
    })
    .join("\n");
}

const SYMBOL: Partial<Record<CellRecord["outcome"], string>> = { reproduced: "●", clean: "✓" };

/** One heatmap row: its cells, and what a reader sees of them (outcome and key per column), to spot repeats. */
function heatmapRow(v: string, g: Grid, byKey: Map<string, CellRecord>, keys: Keys): { tds: string; looks: string } {
  const looks: string[] = [];
  const python = g.axes.findIndex((a) => a.name === "python");
  const tds = g.columns.map((col, i) => {
    const c = byKey.get(`${v}|${col.join("|")}`);
    const why = !c && python >= 0 ? g.notApplicable(v, col[python] ?? "") : undefined;
    if (why) {
      looks.push(`n/a:${why}`);
      return `<td data-col="${i}"><span class="cell na" title="${escapeHtml(`not applicable: ${why}`)}">n/a</span></td>`;
    }
    if (!c) {
      looks.push("");
      return `<td data-col="${i}" class="none"></td>`;
    }
    const fp = failureFingerprint(c);
    const text = fp ? (keys.get(fp)?.key ?? "") : (SYMBOL[c.outcome] ?? "");
    looks.push(`${c.outcome}:${text}:${c.runtime}`);
    const where = runtimeRank(c.runtime) > 0 ? ` (${c.runtime} runtime)` : "";
    const title = `${c.outcome}${where}: ${c.reason}`;
    return `<td data-col="${i}"><button type="button" class="cell o-${c.outcome}${runtimeRank(c.runtime) > 0 ? " local" : ""}" data-cell-id="${escapeHtml(cellId(c))}" data-outcome="${c.outcome}" title="${escapeHtml(title)}">${escapeHtml(text)}</button></td>`;
  });
  return { tds: tds.join(""), looks: looks.join("|") };
}

/**
 * Runs of two or more versions that look exactly like the version above them fold into one line
 * ("0.5.2–0.11.2: 40 releases, same as above") that opens them: 184 releases are mostly such runs.
 */
function heatmapBody(cells: CellRecord[], g: Grid, keys: Keys): string {
  const byKey = new Map(cells.map((c) => [`${versionOf(c, g.pkg)}|${g.axes.map((a) => a.of(c)).join("|")}`, c]));
  // Under era the row names the Python its release ran on (the one that decided, when several did).
  const era = !g.axes.some((a) => a.name === "python");
  const head = (v: string) => {
    const pythons = era ? sortVersions(cells.filter((c) => versionOf(c, g.pkg) === v).map((c) => c.python)) : [];
    return pythons.length > 0 ? `${escapeHtml(v)} <span class="py">py${escapeHtml(pythons.join(", "))}</span>` : escapeHtml(v);
  };
  const rows = sortVersions(cells.map((c) => versionOf(c, g.pkg))).map((v) => ({ v, ...heatmapRow(v, g, byKey, keys) }));
  const out: string[] = [];
  for (let i = 0; i < rows.length; ) {
    const first = rows[i] as (typeof rows)[number];
    out.push(`<tr><th scope="row">${head(first.v)}</th>${first.tds}</tr>`);
    let j = i + 1;
    while (j < rows.length && rows[j]?.looks === first.looks) j++;
    const run = rows.slice(i + 1, j);
    if (run.length >= 2) {
      const span = `${run[0]?.v}–${run.at(-1)?.v}`;
      out.push(
        `<tr class="run"><th scope="row" colspan="${g.columns.length + 1}"><button type="button" data-run="${i}" aria-expanded="false">${escapeHtml(span)}: ${run.length} releases, same as above</button></th></tr>`,
        ...run.map((r) => `<tr data-run-of="${i}" hidden><th scope="row">${head(r.v)}</th>${r.tds}</tr>`),
      );
    } else out.push(...run.map((r) => `<tr><th scope="row">${head(r.v)}</th>${r.tds}</tr>`));
    i = j;
  }
  return out.join("\n");
}

function heatmap(cells: CellRecord[], g: Grid, keys: Keys): string {
  const constant = g.axes.flatMap((a, i) =>
    g.values[i]?.length === 1 && !g.varying.includes(i) && g.values[i]?.[0] ? [a.label(g.values[i][0])] : [],
  );
  const rows = `Rows: ${escapeHtml(g.pkg)} versions${g.axes.some((a) => a.name === "python") ? "" : ", each on the Python of its day (era)"}.`;
  return [
    constant.length > 0 ? `<p>Every column: ${escapeHtml(constant.join(" · "))}. ${rows}</p>` : `<p>${rows}</p>`,
    // The table scrolls in its own box so its header can stick to the box's top (sticky is relative
    // to the nearest scrolling ancestor, and an overflow-x box is one).
    `<div class="scroll"><table id="heatmap">\n<thead>${headerRows(g, g.varying.length)}</thead>\n<tbody>${heatmapBody(cells, g, keys)}</tbody>\n</table></div>`,
  ].join("\n");
}

function filters(g: Grid): string {
  const selects = g.varying
    .filter((i) => g.columns.length > 1 && (g.values[i]?.length ?? 0) > 1)
    .map((i) => {
      const a = g.axes[i] as Axis;
      const options = (g.values[i] ?? []).map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(a.label(v))}</option>`);
      return `<label>${escapeHtml(a.heading)} <select id="filter-${a.name}" data-axis="${a.name}"><option value="">all</option>${options.join("")}</select></label>`;
    });
  return selects.length > 0
    ? `<form class="filters" onsubmit="return false">${selects.join(" ")} <span id="filter-status"></span></form>`
    : "";
}

function legend(r: ResultsFile, cells: CellRecord[]): string {
  const outcomes = OUTCOMES.map((o) => {
    const n = cells.filter((c) => c.outcome === o).length;
    return `<li${n === 0 ? ' class="absent"' : ""}><span class="swatch o-${o}">${SYMBOL[o] ?? ""}</span>${o} (${n})</li>`;
  });
  // Not an outcome: no cell ran, and none could (the release excludes that Python).
  const na = r.notApplicable ?? [];
  if (na.length > 0)
    outcomes.push(
      `<li><span class="swatch na">n/a</span>not applicable: the release excludes that Python (${na.length} release${na.length === 1 ? "" : "s"})</li>`,
    );
  return `<ul class="legend">${outcomes.join("")}<li><span class="swatch local"></span>dashed: only the local runtime ran it</li></ul>`;
}

/** Collapsed: the keys are in the cells and their titles; the table is for who wants the list. */
function fingerprintTable(keys: Keys, symptom: Symptom): string {
  const fps = [...keys].map(
    ([fp, k]) =>
      `<tr><th>${k.key}</th><td>${k.count}</td><td>${[...k.outcomes].join(", ")}</td><td><code>${escapeHtml(fp)}</code></td></tr>`,
  );
  return fps.length > 0
    ? `<details id="fingerprints"><summary>Failures without ${symptom.label}: ${fps.length} distinct fingerprint${fps.length === 1 ? "" : "s"} (the key shown in the cells)</summary><table class="fingerprints"><tr><th>Key</th><th>Cells</th><th>Outcomes</th><th>First error, normalized</th></tr>${fps.join("")}</table></details>`
    : "";
}

function configLine(v: ConfigVerdict, keys: Keys, symptom: Symptom): string {
  const bits = [
    v.lastAffected ? `last affected <b>${escapeHtml(v.lastAffected)}</b>` : "never affected",
    v.firstWithout ? `first without ${symptom.label} <b>${escapeHtml(v.firstWithout)}</b>` : "",
    v.firstClean ? `first clean <b>${escapeHtml(v.firstClean)}</b>` : "no clean version",
    v.untestedBetween.length > 0 ? `untestable in between: ${escapeHtml(v.untestedBetween.join(", "))}` : "",
    ...v.affectedDifferently.map((d) => {
      const key = keys.get(d.fingerprint)?.key;
      const range = d.from === d.to ? d.from : `${d.from}–${d.to}`;
      return `affected differently ${escapeHtml(range)} (${key ? `<abbr title="${escapeHtml(d.fingerprint)}">${key}</abbr>` : `<code>${escapeHtml(d.fingerprint)}</code>`})`;
    }),
  ].filter(Boolean);
  return `<li>${escapeHtml(v.label)}: ${bits.join(" · ")}</li>`;
}

function verdictSection(r: ResultsFile, v: ClaimVerdict | undefined, keys: Keys, symptom: Symptom): string {
  if (!r.claim) return "";
  const when = Object.entries(r.claim.when)
    .map(([k, x]) => `${k}=${x}`)
    .join(", ");
  const claim = `<p>Claim: “${escapeHtml(r.claim.text)}”${when ? ` (for cells with ${escapeHtml(when)})` : ""}</p>`;
  if (!v) return `<section id="verdict">${claim}</section>`;
  // One short sentence open; the full reasoning and each configuration's boundary one click away.
  return [
    `<section id="verdict"><p class="sentence verdict-${v.status}">${escapeHtml(shortVerdict(r, v, symptom))}</p>`,
    `<details><summary>Why: the claim, the full verdict and each configuration</summary>${claim}`,
    `<p>${escapeHtml(v.sentence)}</p>`,
    v.configs.length > 0
      ? `<ul class="configs">${[...(v.eraConfigs ?? []), ...v.configs].map((c) => configLine(c, keys, symptom)).join("")}</ul>`
      : "",
    "</details></section>",
  ].join("\n");
}

/** Inline code spans in the scenario description, the only markup it uses. */
const describe = (s: string) => escapeHtml(s.trim()).replace(/`([^`]+)`/g, "<code>$1</code>");

function clientData(r: ResultsFile, cells: CellRecord[], g: Grid, keys: Keys): ClientData {
  // Each env's lock and install log once, as results.json stores them: repeated in every cell
  // they were most of the page.
  const envs: Record<string, StoredEnv> = {};
  const entries = cells.map((c): [string, ClientCell] => {
    const fp = failureFingerprint(c);
    const key = fp ? keys.get(fp)?.key : undefined;
    const { key: envKey, env } = envEntry(c.evidence);
    envs[envKey] = env;
    const { packages: _p, resolution: _r, installLog: _i, ...evidence } = c.evidence;
    return [
      cellId(c),
      {
        label: cellLabel(c),
        rerun: rerunCommand(c, configOf(r)),
        ...(fp && key ? { fingerprint: fp, fingerprintKey: key } : {}),
        ...(c.machine ? { machine: describeMachine(c.machine) } : {}),
        record: { ...c, env: envKey, evidence },
      },
    ];
  });
  return {
    ...(r.claim?.signature ? { signature: r.claim.signature } : {}),
    harnessVersion: r.harnessVersion,
    columns: g.columns.map((col) => Object.fromEntries(g.axes.map((a, i) => [a.name, col[i] ?? ""]))),
    envs,
    cells: Object.fromEntries(entries),
  };
}

/**
 * The page's data as the page embeds it: JSON, gzipped, in base64; the page's script inflates it
 * with the browser's DecompressionStream. Log tails differ only in times and pids from cell to
 * cell, so the data shrinks some fifteen-fold: a #85 page went from 3.2 MB to a few hundred KB.
 * Base64 has no `<`, so no log line can end or alter the script block.
 */
export const embedData = (data: ClientData): string => gzipSync(JSON.stringify(data), { level: 9 }).toString("base64");

/** reports/<scenario>/index.html: one self-contained page (no network) with the heatmap and every cell's evidence. */
export const renderHtml = (r: ResultsFile, judged: Judgement = judge(r)): string => [...htmlChunks(r, judged)].join("");

/** index.html in chunks, to be written without holding the whole page as one string. */
export function* htmlChunks(r: ResultsFile, judged: Judgement = judge(r)): Generator<string> {
  const cells = tableCells(r);
  const g = gridOf(r, cells, tablePackage(r));
  const keys = fingerprintKeys(cells);
  const symptom = symptomOf(r.claim, cells);
  yield `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(r.scenario)} · repro-matrix</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(r.scenario)}</h1>
${r.description ? `<p class="description">${describe(r.description)}</p>` : ""}
<p class="meta">Last verified: ${escapeHtml(r.lastVerified)} · ${cells.length} cells · repro-matrix ${escapeHtml(r.harnessVersion)}</p>
</header>
<main>
${compatTable(r, cells)}
${verdictSection(r, judged.verdict, keys, symptom)}
<h2>Grid</h2>
${filters(g)}
${legend(r, cells)}
${heatmap(cells, g, keys)}
<p class="hint">Click a cell for its evidence.</p>
${fingerprintTable(keys, symptom)}
${bootProfileSection(cells)}
</main>
<dialog id="evidence" aria-label="Evidence"><button type="button" id="evidence-close" aria-label="Close">×</button><div id="evidence-body"></div></dialog>
<script type="application/gzip" data-encoding="base64" id="data">`;
  yield embedData(clientData(r, cells, g, keys));
  yield `</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 1.5rem 3rem;color:#1b1b1b;background:#fff}
h1{margin:1rem 0 .25rem}h2{margin:1.5rem 0 .5rem}code,pre{font:12px/1.4 ui-monospace,monospace}
.meta{color:#555}.sentence{font-weight:600;font-size:1.05rem}.configs li{margin:.15rem 0}
.filters{margin:.5rem 0}.filters label{margin-right:1rem}#filter-status{color:#555}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1rem}.legend .absent{opacity:.45}
.swatch{display:inline-block;width:1.3em;height:1.3em;margin-right:.3em;text-align:center;vertical-align:middle;border-radius:3px}
.fingerprints{border-collapse:collapse;margin:.5rem 0}.fingerprints td,.fingerprints th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
.compat{border-collapse:collapse;margin:.25rem 0}.compat td,.compat th{border:1px solid #ddd;padding:2px 8px;text-align:left}
.compat th[scope=row]{font-family:ui-monospace,monospace;font-weight:500}.compat .overall{font-weight:600}
.s-affected{background:#f4a6a0}.s-fixed{background:#b7e1c1}.s-affected-differently{background:#fdd0a2}.s-not-testable,.s-inconclusive{background:#eee;color:#555}
.scroll{overflow:auto;max-height:85vh}#heatmap{border-collapse:separate;border-spacing:0}
#heatmap thead{position:sticky;top:0;z-index:2}
#heatmap tbody th[scope=row]{position:sticky;left:0;z-index:1;background:#fafafa}
.compat tr.run th{text-align:left;font-family:inherit}.compat tr.run button{border:0;background:none;color:#0645ad;cursor:pointer;padding:2px 0}
#heatmap tr.run th{text-align:left;background:#fff;font-family:inherit}#heatmap tr.run button{border:0;background:none;color:#0645ad;cursor:pointer;padding:2px 0}
#heatmap th{font-weight:500;font-size:12px;padding:2px 4px;border:1px solid #eee;background:#fafafa}
#heatmap th.leaf{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
#heatmap th[scope=row]{text-align:right;font-family:ui-monospace,monospace}
#heatmap td{padding:1px}.cell{width:2.4em;height:1.8em;border:0;border-radius:3px;font-size:11px;cursor:pointer;padding:0}
.cell:hover,.cell:focus{outline:2px solid #000}.cell.selected{outline:3px solid #000}.local{outline:2px dashed #333;outline-offset:-3px}
.o-reproduced{background:#d73027;color:#fff}.o-clean{background:#1a9850;color:#fff}.o-other-failure{background:#fc8d59;color:#000}
.o-boot-failure{background:#4d4d4d;color:#fff}.o-install-failed{background:#d9d9d9;color:#000}.o-timeout{background:#8073ac;color:#fff}
.o-flaky{background:#fee08b;color:#000}
.na{display:inline-block;line-height:1.8em;text-align:center;cursor:default;color:#777;background:repeating-linear-gradient(45deg,#fff,#fff 3px,#e8e8e8 3px,#e8e8e8 6px)}
#heatmap th .py{color:#777;font-size:10px}.s-not-applicable{color:#777;background:repeating-linear-gradient(45deg,#fff,#fff 3px,#eee 3px,#eee 6px)}
#evidence{position:fixed;inset:0 0 0 auto;margin:0;width:min(46rem,94vw);height:100vh;max-height:none;border:0;border-left:1px solid #999;box-shadow:-4px 0 16px #0003;overflow:auto;padding:0 1rem 2rem}
#evidence-close{position:sticky;top:.5rem;float:right;font-size:1.4rem;border:0;background:none;cursor:pointer}
#evidence h2{font-size:1.05rem;margin-top:1rem;word-break:break-word}#evidence h3{font-size:.95rem;margin:1rem 0 .3rem}
#evidence pre{background:#f6f6f6;padding:.5rem;overflow-x:auto;white-space:pre}#evidence .ln{color:#888}
#evidence dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:0}#evidence dt{color:#555}#evidence dd{margin:0;word-break:break-word}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:3px}.rerun{display:block;background:#f6f6f6;padding:.5rem;user-select:all;word-break:break-all}
mark{background:#ffe066;color:#000}.chart text{font-size:11px;fill:#333}.chart .grid{stroke:#eee}.chart .axis{stroke:#333}
.memory{border-collapse:collapse;margin-top:1rem}.memory td,.memory th{border:1px solid #ddd;padding:2px 8px;text-align:right}
[hidden]{display:none!important}
`;
