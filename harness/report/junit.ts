import { argsText, cellId, envText, packageEntries, shortClass } from "../cell/cell.js";
import type { Outcome } from "../cell/outcome.js";
import type { CellRecord } from "../cell/record.js";
import { failureFingerprint } from "../claims/fingerprint.js";
import { runtimeRank } from "../runtimes/registry.js";
import type { ResultsFile } from "../store/results-file.js";

/** How much of a cell's output goes into a testcase: enough to see what happened, small enough for CI dashboards. */
const LOG_TAIL_LINES = 40;
const TRACEBACK_LINES = 30;
const SIGNATURE_LINES = 20;
const MESSAGE_CHARS = 500;

type Counts = Record<"tests" | "failures" | "errors" | "skipped", number> & { ms: number };

/** XML 1.0 allows \t \n \r and U+0020..U+D7FF, U+E000..U+FFFD, U+10000..; anything else is written as visible \xNN / \uNNNN text. */
function xmlSafe(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const legal = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
    out += legal ? ch : cp < 0x100 ? `\\x${cp.toString(16).padStart(2, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
  }
  return out;
}

const text = (s: string) => xmlSafe(s).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** Attribute values: also quotes, and whitespace as character references so parsers do not normalize it away. */
const attr = (s: string) =>
  text(s).replaceAll('"', "&quot;").replaceAll("'", "&apos;").replaceAll("\t", "&#9;").replaceAll("\n", "&#10;").replaceAll("\r", "&#13;");

const attrs = (a: Record<string, string | number>) =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${attr(String(v))}"`)
    .join("");

/** A one-line message attribute. */
const oneLine = (s: string) => {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > MESSAGE_CHARS ? `${flat.slice(0, MESSAGE_CHARS - 1)}…` : flat;
};

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** "py3.10" after "py3.9": digit runs compare as numbers, the rest by code unit (no locale involved). */
function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const [x, y] = [pa[i]!, pb[i]!];
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y) && Number(x) !== Number(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

const compareCells = (a: CellRecord, b: CellRecord) =>
  naturalCompare(cellId(a), cellId(b)) || runtimeRank(a.runtime) - runtimeRank(b.runtime) || naturalCompare(a.startedAt, b.startedAt);

const logLine = (l: CellRecord["evidence"]["logTail"][number]) => `${l.n} ${l.stream} ${l.phase}| ${l.text}`;

const lastLines = (lines: string[], max: number) =>
  lines.length > max ? [`… ${lines.length - max} earlier lines not shown`, ...lines.slice(-max)] : lines;

function systemOut(c: CellRecord): string {
  const e = c.evidence;
  if (e.logTail.length > 0) {
    const tail = e.logTail.slice(-LOG_TAIL_LINES);
    const hidden = Math.max(e.totalLogLines, e.logTail.length) - tail.length;
    return [...(hidden > 0 ? [`… ${hidden} earlier lines not shown`] : []), ...tail.map(logLine)].join("\n");
  }
  // An env that could not be built has no server log; its build log is what explains the skip.
  return e.installLog ? lastLines(e.installLog.trimEnd().split("\n"), LOG_TAIL_LINES).join("\n") : "";
}

function failureBody(c: CellRecord): string {
  const e = c.evidence;
  const capped = (lines: string[]) =>
    lines.length > SIGNATURE_LINES ? [...lines.slice(0, SIGNATURE_LINES), `… ${lines.length - SIGNATURE_LINES} more`] : lines;
  // A cell with checks was judged by them: what fired may be a status count or a missing line, with no line to show.
  const why = e.checks
    ? [
        "checks fired:",
        ...e.checks.filter((k) => k.result === "fired").flatMap((k) => [`${k.check}: ${k.seen}`, ...capped((k.lines ?? []).map(logLine))]),
      ]
    : ["signature lines:", ...capped(e.signatureMatches.map(logLine))];
  return [c.reason, "", ...why, "", "lock:", ...e.packages].join("\n");
}

function errorBody(c: CellRecord): string {
  const traceback = c.evidence.firstOtherTraceback ?? [];
  const fingerprint = failureFingerprint(c);
  return [
    ...(fingerprint ? [`fingerprint: ${fingerprint}`] : []),
    ...(traceback.length > 0 ? ["", "first traceback:", ...lastLines(traceback, TRACEBACK_LINES)] : []),
  ].join("\n");
}

/** The child that says how the testcase went; none for a clean cell. */
function verdict(c: CellRecord): string {
  const outcome: Outcome = c.outcome;
  switch (outcome) {
    case "clean":
      return "";
    case "reproduced": {
      // With checks the reason names the check that fired; "signature reproduced" would claim a log line.
      const message = c.evidence.checks
        ? `reproduced: ${c.reason}`
        : `signature reproduced: ${c.evidence.signatureMatches[0]?.text ?? c.reason}`;
      return `      <failure${attrs({ message: oneLine(message), type: "reproduced" })}>${text(failureBody(c))}</failure>\n`;
    }
    case "install-failed":
      return `      <skipped${attrs({ message: oneLine(c.reason) })}/>\n`;
    case "other-failure":
    case "boot-failure":
    case "timeout":
    case "flaky":
      return `      <error${attrs({ message: oneLine(c.reason), type: outcome })}>${text(errorBody(c))}</error>\n`;
  }
}

function properties(c: CellRecord): string {
  const props: [string, string | number | boolean | undefined][] = [
    ...packageEntries(c.packages),
    ["python", c.python],
    ["pythonFull", c.pythonFull],
    ["workerClass", c.workerClass],
    ["preload", c.preload],
    ["app", c.app],
    ["workers", c.workers],
    ["gunicornArgs", c.gunicornArgs?.length ? c.gunicornArgs.join(" ") : undefined],
    ...Object.entries(c.envVars ?? {}).map(([n, v]): [string, string] => [`env.${n}`, v]),
    ["runtime", c.runtime],
    ["startedAt", c.startedAt],
    ["cacheKey", c.cacheKey],
  ];
  const lines = props
    .filter(([, v]) => v !== undefined)
    .map(([name, value]) => `        <property${attrs({ name, value: String(value) })}/>`);
  return `      <properties>\n${lines.join("\n")}\n      </properties>\n`;
}

function testcase(c: CellRecord, classname: string): string {
  const out = systemOut(c);
  return (
    `    <testcase${attrs({ classname, name: cellId(c), time: seconds(c.durationMs) })}>\n` +
    properties(c) +
    verdict(c) +
    (out ? `      <system-out>${text(out)}</system-out>\n` : "") +
    "    </testcase>\n"
  );
}

function count(cells: CellRecord[]): Counts {
  const n = (...outcomes: Outcome[]) => cells.filter((c) => outcomes.includes(c.outcome)).length;
  return {
    tests: cells.length,
    failures: n("reproduced"),
    errors: n("other-failure", "boot-failure", "timeout", "flaky"),
    skipped: n("install-failed"),
    ms: cells.reduce((sum, c) => sum + c.durationMs, 0),
  };
}

const countAttrs = ({ ms, ...n }: Counts) => ({ ...n, time: seconds(ms) });

/**
 * JUnit XML for CI dashboards (the Jenkins / GitLab / GitHub test-reporter dialect): one testsuite per
 * configuration (Python, worker class, --preload, app) and runtime, one testcase per cell record.
 * reproduced → failure, other-failure / boot-failure / timeout / flaky → error, install-failed → skipped.
 * Docker and local records of one cell differ in classname (<scenario>.docker.… / <scenario>.local.…); the
 * name is the cell id either way. Output depends only on the records: same results, same bytes.
 */
export function renderJunit(r: ResultsFile): string {
  const cells = [...r.cells].sort(compareCells);
  // Worker classes are shown by their short name unless two in this file share it.
  const byShort = new Map<string, Set<string>>();
  for (const c of cells) byShort.set(shortClass(c.workerClass), (byShort.get(shortClass(c.workerClass)) ?? new Set()).add(c.workerClass));
  const workerName = (w: string) => ((byShort.get(shortClass(w))?.size ?? 0) > 1 ? w : shortClass(w));

  const groups = new Map<
    string,
    { config: string; runtime: CellRecord["runtime"]; name: string; classname: string; cells: CellRecord[] }
  >();
  for (const c of cells) {
    const config = [
      `py${c.python} ${workerName(c.workerClass)} ${c.preload ? "--preload" : "no-preload"} ${c.app} -w ${c.workers}`,
      ...(c.gunicornArgs?.length ? [argsText(c.gunicornArgs)] : []),
      ...(c.envVars && Object.keys(c.envVars).length > 0 ? [envText(c.envVars)] : []),
    ].join(" ");
    const key = `${config}|${c.runtime}`;
    const group = groups.get(key) ?? {
      config,
      runtime: c.runtime,
      name: `${config} (${c.runtime})`,
      // Jenkins splits a classname at its last dot into package and class: keep dots to the separators.
      classname: `${r.scenario}.${c.runtime}.${config.replaceAll(".", "_")}`,
      cells: [],
    };
    group.cells.push(c);
    groups.set(key, group);
  }

  const ordered = [...groups.values()].sort(
    (a, b) => naturalCompare(a.config, b.config) || runtimeRank(a.runtime) - runtimeRank(b.runtime),
  );
  const suites = ordered.map((g) => {
    const timestamp = g.cells.map((c) => c.startedAt).sort()[0] ?? "";
    return (
      `  <testsuite${attrs({ name: g.name, ...countAttrs(count(g.cells)), timestamp })}>\n` +
      g.cells.map((c) => testcase(c, g.classname)).join("") +
      "  </testsuite>\n"
    );
  });
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites${attrs({ name: r.scenario, ...countAttrs(count(cells)) })}>\n` +
    suites.join("") +
    "</testsuites>\n"
  );
}
