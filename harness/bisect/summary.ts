import { type Cell, cellId } from "../cell/cell.js";
import type { CellRecord } from "../cell/record.js";
import { monotoneBound, sampledBound } from "./search.js";
import type { BisectResult, Neighbour, Unsettled } from "./types.js";

/** What the summary needs besides the search's result. */
export interface SummaryInput {
  result: BisectResult<string>;
  /** The last record of every version tested. */
  records: Map<string, CellRecord>;
  /** The versions searched, in order. */
  searched: string[];
  /** The claim's first fixed release and the one before it, as sampled when the ends agree (empty without a claim). */
  hinted: string[];
  /** --affected, if given. */
  affected?: string;
  configFile: string;
  runtime: string;
  package: string;
  byVersion: Map<string, Cell>;
}

/**
 * The end of a bisect's output: what it cost against its bound, each transition with the commands that reproduce
 * both sides, and every stretch it did not test, as not settled. Nothing in it is assumed.
 */
export function summaryLines(x: SummaryInput): string[] {
  const { result, records } = x;
  const lines = ["", costLine(x)];
  if (x.affected !== undefined && records.get(x.affected)?.outcome !== "reproduced") {
    const r = records.get(x.affected);
    lines.push(
      `--affected ${x.affected} did not reproduce here (${r?.outcome}: ${brief(r?.reason ?? "")}); it counts as one more version tested`,
    );
  }
  if (result.transitions.length === 0) lines.push(noTransition(x));
  for (const t of result.transitions) {
    const side = (v: string) => `${v} (${records.get(v)?.outcome}: ${brief(records.get(v)?.reason ?? "")})`;
    lines.push(`transition: ${t.from} → ${t.to} between ${side(t.lastBefore)} and ${side(t.firstAfter)}`);
    if (t.untestableBetween.length > 0)
      lines.push(`  ${t.untestableBetween.length} version(s) in between gave no verdict: ${t.untestableBetween.join(", ")}`);
    for (const v of [t.lastBefore, t.firstAfter])
      lines.push(
        `  reproduce ${v}: repro-matrix run --config ${x.configFile} --runtime ${x.runtime} --set ${x.package}=${v} --only "${onlyTerms(x.byVersion.get(v) as Cell)}"`,
      );
  }
  return [...lines, ...unsettledLines(result.unsettled, records, x.searched.length)];
}

/** Cells run, against the bound of the case the search ran into. */
function costLine({ result, searched, hinted }: SummaryInput): string {
  const n = searched.length;
  const cost = `${result.tested} cells run for ${n} versions`;
  const ends = [searched[0], searched.at(-1)].filter((v) => result.steps.some((st) => st.version === v && st.verdict === "untestable"));
  const widened = result.widened
    ? "; a re-test or a cross-check contradicted an earlier result, so the search bisected the ranges that opened"
    : "";
  if (!result.sampled) {
    const factor = ends.length > 1 ? "4" : "2";
    return `${cost} (bound for a monotone history ${factor}·⌈log2 n⌉+4 = ${monotoneBound(n, ends.length)})${widened}`;
  }
  const samples = result.steps.filter((st) => st.why === "sample").length;
  const which =
    hinted.length > 0 ? `the claim's first fixed release and the one before it (${hinted.join(", ")}), then a spread` : "a spread";
  const t = result.transitions.length;
  const per = ends.length > 0 ? `(${t} transitions + ${ends.length} untestable ends)` : `${t} transitions`;
  return `${cost}; the ends agreed, so ${samples} versions between them were sampled: ${which} (bound when the ends agree: 2 + ${samples} samples + ⌈log2 n⌉ × ${per} = ${sampledBound(n, samples, t, ends.length)})${widened}`;
}

function noTransition({ result, records }: SummaryInput): string {
  const judged = result.steps.filter((st) => st.verdict !== "untestable").sort((a, b) => a.index - b.index);
  const [low, high] = [judged[0], judged.at(-1)];
  if (!low || !high) return "no transition found: no version tested could be tested (see the trail for why)";
  const versions = new Set(judged.map((st) => st.version)).size;
  return `no transition among the ${versions} versions that gave a verdict (${low.version}: ${records.get(low.version)?.outcome} … ${high.version}: ${records.get(high.version)?.outcome}); nothing is claimed of the versions not tested`;
}

/** One line per untested stretch: the search says nothing of them, even between two versions that agree. */
function unsettledLines(unsettled: Unsettled<string>[], records: Map<string, CellRecord>, n: number): string[] {
  if (unsettled.length === 0) return [];
  const count = unsettled.reduce((k, u) => k + u.count, 0);
  const side = (nb: Neighbour<string> | undefined, where: string) =>
    nb === undefined ? `the ${where} end` : `${nb.version} (${nb.shown === "flaky" ? "flaky" : records.get(nb.version)?.outcome})`;
  return [
    `not settled: ${count} of ${n} versions were not tested (a bug that came and went inside a stretch would not be seen):`,
    ...unsettled.map(
      (u) =>
        `  ${u.count === 1 ? u.first : `${u.first} … ${u.last} (${u.count} versions)`} between ${side(u.below, "oldest")} and ${side(u.above, "newest")}`,
    ),
  ];
}

/** Reasons can quote a whole traceback line; a trail line needs only its start. */
export const brief = (reason: string): string => (reason.length > 120 ? `${reason.slice(0, 119)}…` : reason);

/** The --only term that selects exactly this cell, whatever its axes: its id. */
export const onlyTerms = (c: Cell): string => cellId(c);
