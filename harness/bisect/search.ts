/**
 * Bisection over an ordered list of versions, with no engine in sight: the caller's `test` boots the real servers for
 * one version and says what happened; this module only decides which versions are worth that cost.
 *
 * It assumes nothing of a version it did not test. Where the oldest and newest versions disagree it bisects like
 * `git bisect`; where they agree it samples between them (the claim's own boundary, then a spread) before it
 * concludes anything, because a bug that came and went lies exactly between two clean ends. Every pair of tested
 * neighbours that disagree is bisected to adjacent versions and both sides are re-tested (a flaky boundary is worse
 * than none); what was never tested is returned as unsettled stretches, not as a verdict. A run of untestable
 * versions is never walked one version at a time: at an end it is crossed by galloping (1, 2, 4… steps in), in the
 * middle by testing the middle of the widest untested stretch.
 */
import { transitionsOf, unsettledOf } from "./findings.js";
import { SearchState } from "./search-state.js";
import type { BisectOptions, BisectResult, Step } from "./types.js";

export type {
  BisectOptions,
  BisectResult,
  Neighbour,
  Shown,
  Step,
  StepWhy,
  Transition,
  Unsettled,
  Verdict,
} from "./types.js";

/**
 * The most tests a monotone history (one transition) costs, untestable versions included: 2·⌈log2 n⌉ + 4 with an
 * untestable run at either end (two ends, a gallop of ⌈log2 u⌉ + 1 and a halving of ⌈log2 u⌉ − 1 across a run of u,
 * at most ⌈log2 n⌉ halvings of the bracket, two confirms). When both ends are untestable, the second run costs up to
 * 2·⌈log2 n⌉ more.
 */
export const monotoneBound = (n: number, untestableEnds = 0): number => (2 + 2 * Math.max(0, untestableEnds - 1)) * log2(n) + 4;

/**
 * The most tests when the ends agree and the search sampled `samples` versions between them: the ends, the samples,
 * 2·⌈log2 n⌉ to cross each untestable end, and per transition found at most ⌈log2 n⌉ (the samples cut the list in
 * quarters, so a bracket needs at most ⌈log2 n⌉ − 2 midpoints, then two confirms). A bug that came and went, between
 * testable ends: 2·⌈log2 n⌉ + 7.
 */
export const sampledBound = (n: number, samples: number, transitions: number, untestableEnds = 0): number =>
  2 + samples + (transitions + 2 * untestableEnds) * log2(n);

const log2 = (n: number): number => Math.ceil(Math.log2(Math.max(n, 2)));

/** Finds every place the verdict changes along `versions` that its tests can see, and says what it did not test. */
export async function bisect<V>(o: BisectOptions<V>): Promise<BisectResult<V>> {
  o.signal.throwIfAborted();
  const s = new SearchState(o);
  for (const i of [o.start, ...(o.hints ?? [])])
    if (i !== undefined && !(Number.isInteger(i) && i >= 0 && i < s.n)) throw new RangeError(`bisect: no version at position ${i}`);
  let sampled = false;
  let widened = false;
  if (s.n >= 2) {
    await anchors(s, o.start);
    await gallop(s, "low");
    await gallop(s, "high");
    await findAVerdict(s);
    await crossEdge(s, "low");
    await crossEdge(s, "high");
    const known = s.known();
    sampled = known.length > 0 && s.stable(known[0]!) === s.stable(known.at(-1)!);
    if (sampled) await sample(s, o.hints ?? []);
    widened = await settle(s, Boolean(o.crossCheck));
  }
  return {
    transitions: transitionsOf(s, o.versions),
    unsettled: unsettledOf(s, o.versions),
    steps: s.steps,
    sampled,
    widened,
    tested: s.steps.length,
  };
}

/** The version said to be affected, then both ends; each warms the next and the middle. */
async function anchors<V>(s: SearchState<V>, start: number | undefined): Promise<void> {
  const order = [...new Set([start, 0, s.n - 1])].filter((i) => i !== undefined);
  for (const [k, i] of order.entries()) await s.probe(i, i === start ? "start" : "endpoint", [...order.slice(k + 1), s.pick(0, s.n - 1)]);
}

/**
 * When every anchor was untestable: the middles of the widest untested stretches until one version gives a
 * verdict, at most ⌈log2 n⌉ of them. A list none of whose sampled versions can be tested is not searched further:
 * trying each would be a matrix run.
 */
async function findAVerdict<V>(s: SearchState<V>): Promise<void> {
  for (let k = 0; k < Math.ceil(Math.log2(s.n)) && s.known().length === 0; k++) {
    const c = s.pick(0, s.n - 1);
    if (c === undefined) return;
    await s.probe(c, "skip-neighbour", [s.pick(0, c), s.pick(c, s.n - 1)]);
  }
}

/**
 * An untestable end (old releases that no longer install): test the versions 1, 2, 4, 8… steps in from it until one
 * gives a verdict, so a run of 20 untestable releases costs 6 tests, not 20. Galloping from the end, rather than
 * halving toward the middle at once, finds the testable versions nearest the end even when untestable ones are also
 * scattered further in (an sdist that does not compile on this Python), and the first it lands on is past the run by
 * at most the run's length. It stops short of the nearest version with a verdict (or of the other end).
 */
async function gallop<V>(s: SearchState<V>, side: "low" | "high"): Promise<void> {
  const [end, dir] = side === "low" ? [0, 1] : [s.n - 1, -1];
  if (s.stable(end) !== undefined) return;
  const known = s.known();
  const target = (side === "low" ? known[0] : known.at(-1)) ?? s.n - 1 - end;
  for (let d = 1; ; d *= 2) {
    // Past the target, the version just before it is the last one worth a test.
    const last = dir * (end + dir * d - target) >= 0;
    const i = last ? target - dir : end + dir * d;
    if (dir * (i - end) <= 0) return;
    const next = end + dir * 2 * d;
    const v = await s.probe(i, "edge", [last || dir * (next - target) >= 0 ? undefined : next]);
    if (v !== "untestable" || last) return;
  }
}

/**
 * Behind a gallop that landed on a version agreeing with everything seen so far, the testable versions may begin
 * anywhere in the last step it took: halve that stretch (untestable middle: the outer mark moves in; a verdict: the
 * inner mark moves out) until the two marks are neighbours, so the oldest (newest) testable version is found. Stops
 * at the first disagreement: there is a transition to bisect, and what remains of the stretch is reported unsettled.
 */
async function crossEdge<V>(s: SearchState<V>, side: "low" | "high"): Promise<void> {
  for (;;) {
    const known = s.known();
    if (known.length === 0 || s.disagreeing().length > 0) return;
    const inner = side === "low" ? known[0]! : known.at(-1)!;
    const beyond = [...s.seen.keys()].filter((i) => (side === "low" ? i < inner : i > inner));
    if (beyond.length === 0) return;
    const outer = side === "low" ? Math.max(...beyond) : Math.min(...beyond);
    const [a, b] = side === "low" ? [outer, inner] : [inner, outer];
    const m = Math.floor((a + b) / 2);
    if (m <= a) return;
    const v = await s.probe(m, "edge", [s.pick(a, m), s.pick(m, b)]);
    const stepped = side === "low" ? s.pick(m, inner) : s.pick(inner, m);
    if (v === s.stable(inner) && stepped !== undefined) s.checks.push(stepped);
  }
}

/**
 * The ends agree: test the caller's hints (the claim's first fixed release and the one before it), then the middle
 * and the quartiles of the span between the outermost versions with a verdict. Any of them that disagrees opens
 * brackets on both sides of it, which `settle` bisects.
 */
async function sample<V>(s: SearchState<V>, hints: number[]): Promise<void> {
  const known = s.known();
  const [lo, hi] = [known[0]!, known.at(-1)!];
  const spread = [2, 1, 3].map((q) => lo + Math.round((q * (hi - lo)) / 4));
  const todo = [...new Set([...hints, ...spread])].filter((i) => !s.seen.has(i));
  for (const [k, i] of todo.entries()) await s.probe(i, "sample", [todo[k + 1]]);
}

/**
 * Bisects every pair of disagreeing neighbours and confirms both sides of each transition; then, with crossCheck,
 * tests the middles of the stretches it stepped over. A confirm or a check that contradicts what was seen opens new
 * brackets, which are bisected the same way. Returns whether that happened.
 */
async function settle<V>(s: SearchState<V>, crossCheck: boolean): Promise<boolean> {
  let widened = await bisectAndConfirm(s);
  if (!crossCheck) return widened;
  const checks = s.checks.filter((c) => !s.seen.has(c));
  for (const [k, c] of checks.entries()) await s.probe(c, "check", [checks[k + 1]]);
  if (s.openBracket() !== undefined) widened = true;
  return (await bisectAndConfirm(s)) || widened;
}

/** Until every transition is between adjacent (or only untestable-separated) confirmed versions. */
async function bisectAndConfirm<V>(s: SearchState<V>): Promise<boolean> {
  let rounds = 0;
  for (;;) {
    await bisectOpen(s);
    await confirmSides(s);
    if (s.openBracket() === undefined) return rounds > 0;
    // A side's re-test disagreed with its first test: the version is flaky, so its neighbours are bracketed again.
    rounds++;
  }
}

async function bisectOpen<V>(s: SearchState<V>): Promise<void> {
  for (let br = s.openBracket(); br !== undefined; br = s.openBracket()) {
    const [a, b] = br;
    const c = s.pick(a, b)!;
    const [left, right] = [s.pick(a, c), s.pick(c, b)];
    const v = await s.probe(c, c === Math.floor((a + b) / 2) ? "midpoint" : "skip-neighbour", [left, right]);
    if (v === "untestable") continue;
    // The half not taken agrees at both its ends; its middle is the one place a check can test what lies inside.
    const stepped = v === s.stable(a) ? left : right;
    if (stepped !== undefined) s.checks.push(stepped);
  }
}

async function confirmSides<V>(s: SearchState<V>): Promise<void> {
  const sides = s.disagreeing().flatMap(([p, q]) => (s.untestedBetween(p, q) ? [] : [p, q]));
  for (const i of new Set(sides)) if (!s.confirmed(i) && s.stable(i) !== undefined) await s.probe(i, "confirm");
}

/** One line per test, e.g. `[3] 0.11.4  clean       (midpoint)`; columns aligned so a long trail stays readable. */
export function formatTrail<V>(steps: Step<V>[], label: (v: V) => string): string[] {
  const labels = steps.map((st) => label(st.version));
  const iw = Math.max(0, ...steps.map((st) => String(st.index).length));
  const lw = Math.max(0, ...labels.map((l) => l.length));
  const vw = Math.max(..."affected clean untestable".split(" ").map((v) => v.length));
  return steps.map((st, k) => `[${String(st.index).padStart(iw)}] ${labels[k]!.padEnd(lw)}  ${st.verdict.padEnd(vw)}  (${st.why})`);
}
