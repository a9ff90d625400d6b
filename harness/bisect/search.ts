/**
 * Bisection over an ordered list of versions, with no engine in sight: the caller's `test` boots the real servers for
 * one version and says what happened; this module only decides which versions are worth that cost.
 *
 * Like `git bisect`, it assumes one transition between the two ends. It does not take that on trust where it can
 * check cheaply: the final pair is re-tested (a flaky boundary is worse than none), optional cross-checks sample the
 * halves the search threw away, and any observation that contradicts a single transition widens the search into a
 * linear scan of the region in doubt.
 */

export type Verdict = "affected" | "clean" | "untestable";

/** Why a version was tested; shown in the trail so a reader can tell the search's reasoning from its results. */
export type StepWhy = "endpoint" | "midpoint" | "confirm" | "scan" | "skip-neighbour" | "check";

export interface BisectOptions<V> {
  /** Versions in ascending order (PEP 440 order, already sorted by the caller). */
  versions: V[];
  /** Runs the real experiment for one version. May be slow (tens of seconds). */
  test: (v: V, signal: AbortSignal) => Promise<Verdict>;
  /** Optional: warm up a version that may be tested next (e.g. build its image). Fire-and-forget; errors are ignored. */
  prepare?: (v: V) => void;
  signal: AbortSignal;
  /** Called after each test, for a live trail. */
  onStep?: (step: Step<V>) => void;
  /**
   * Also test the midpoint of every half the search discarded (why "check"), after the boundary is confirmed.
   * Plain bisection cannot see a regression that comes back (affected → clean → affected → clean): every midpoint
   * agrees with one of the bracket's ends. A check can. It roughly doubles the cost (still within 2·⌈log2 n⌉ + 4),
   * but its versions were already handed to `prepare`, so it costs run time, not builds. Off by default.
   */
  crossCheck?: boolean;
}

export interface Step<V> {
  /** The version's position in `versions`. */
  index: number;
  version: V;
  verdict: Verdict;
  why: StepWhy;
}

export interface Transition<V> {
  lastBefore: V;
  firstAfter: V;
  from: Verdict;
  to: Verdict;
  /**
   * Versions strictly between them that gave no stable verdict, so the boundary is a range: untestable ones, and
   * ones whose re-test disagreed with the first test (flaky).
   */
  untestableBetween: V[];
}

export interface BisectResult<V> {
  transitions: Transition<V>[];
  steps: Step<V>[];
  /** true when outcomes were found not monotonic and the search widened to a scan. */
  widened: boolean;
  tested: number;
}

const VERDICTS: ReadonlySet<string> = new Set<Verdict>(["affected", "clean", "untestable"]);

/** Every test the search ran: version index → verdicts in the order observed (two only after a confirm). */
type Seen = Map<number, Verdict[]>;

class Search<V> {
  readonly seen: Seen = new Map();
  readonly steps: Step<V>[] = [];

  constructor(private readonly o: BisectOptions<V>) {}

  /** Tests version `i`, first handing `warm` to `prepare` so their images build while this one runs. */
  async probe(i: number, why: StepWhy, warm: (number | undefined)[] = []): Promise<Verdict> {
    const prior = this.seen.get(i);
    // Re-testing costs tens of seconds and tells nothing new, unless re-testing is the point.
    if (prior !== undefined && why !== "confirm") return prior[0]!;
    this.o.signal.throwIfAborted();
    for (const w of warm) if (w !== undefined && !this.seen.has(w)) this.prepare(w);
    const version = this.o.versions[i]!;
    const verdict = await this.o.test(version, this.o.signal);
    // The verdict comes from the caller's code, often a mapping from outcomes: a typo there must not read as "clean".
    if (!VERDICTS.has(verdict)) throw new TypeError(`bisect: test() returned ${JSON.stringify(verdict)}, not a verdict`);
    const step: Step<V> = { index: i, version, verdict, why };
    this.seen.set(i, [...(prior ?? []), verdict]);
    this.steps.push(step);
    this.o.onStep?.(step);
    return verdict;
  }

  /** Never awaited: a failed warm-up only means the later test builds its own image. */
  private prepare(i: number): void {
    if (this.o.prepare === undefined) return;
    try {
      const r: unknown = this.o.prepare(this.o.versions[i]!);
      // `prepare` is typed as returning void, but an async function fits that type; its rejection must not go unhandled.
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      // ignored: see above
    }
  }

  /**
   * The next version to test strictly inside (a, b): the midpoint, or if that was already tested (untestable), the
   * middle of the widest stretch of untested versions left, so a long run of untestable releases is crossed in
   * O(log n) tests rather than one per release. undefined when nothing is left.
   */
  pick(a: number, b: number): number | undefined {
    const m = Math.floor((a + b) / 2);
    if (m > a && m < b && !this.seen.has(m)) return m;
    let widest: [number, number] | undefined;
    let prev = a;
    for (let i = a + 1; i <= b; i++) {
      if (i < b && !this.seen.has(i)) continue;
      if (i - prev > 1 && (widest === undefined || i - prev > widest[1] - widest[0])) widest = [prev, i];
      prev = i;
    }
    return widest === undefined ? undefined : Math.floor((widest[0] + widest[1]) / 2);
  }

  /** The one verdict a version gave, or undefined when it gave none worth building on (untestable, or flaky). */
  stable(i: number): Verdict | undefined {
    const vs = this.seen.get(i);
    const v = vs?.[0];
    return v !== undefined && v !== "untestable" && vs!.every((x) => x === v) ? v : undefined;
  }
}

/**
 * Finds where the verdict changes along `versions`. Endpoints first; if they agree the list is taken to have no
 * transition at all and nothing else is tested — a bug fixed and later reintroduced looks like that too, and finding
 * it would mean testing every version, which is a matrix run, not a bisect.
 */
export async function bisect<V>(o: BisectOptions<V>): Promise<BisectResult<V>> {
  const s = new Search(o);
  const done = (widened: boolean): BisectResult<V> => ({
    transitions: transitionsOf(s, o.versions),
    steps: s.steps,
    widened,
    tested: s.steps.length,
  });
  o.signal.throwIfAborted();
  const n = o.versions.length;
  if (n < 2) return done(false);

  const ends = await findEnds(s, n);
  if (ends === undefined) return done(false);
  let [a, b] = ends;
  const from = s.stable(a)!;
  const to = s.stable(b)!;
  if (from === to) return done(false);

  const checks: number[] = [];
  for (let c = s.pick(a, b); c !== undefined; c = s.pick(a, b)) {
    const left = s.pick(a, c);
    const right = s.pick(c, b);
    const why = c === Math.floor((a + b) / 2) ? "midpoint" : "skip-neighbour";
    const v = await s.probe(c, why, [left, right]);
    if (v === "untestable") continue;
    // The half not taken is assumed uniform; its midpoint is the one place a check can test that assumption.
    const discarded = v === from ? left : right;
    if (discarded !== undefined) checks.push(discarded);
    if (v === from) a = c;
    else b = c;
  }

  await s.probe(a, "confirm");
  await s.probe(b, "confirm");
  if (o.crossCheck) for (const [k, c] of checks.entries()) await s.probe(c, "check", [checks[k + 1]]);

  const doubt = regionInDoubt(s, from, to);
  if (doubt === undefined) return done(false);
  await scan(s, doubt[0], doubt[1]);
  return done(true);
}

/** The first and last testable versions, moving inward past untestable ends; undefined when fewer than two exist. */
async function findEnds<V>(s: Search<V>, n: number): Promise<[number, number] | undefined> {
  let lo = 0;
  let hi = n - 1;
  await s.probe(lo, "endpoint", [hi]);
  await s.probe(hi, "endpoint", [s.pick(lo, hi)]);
  while (lo < hi && s.seen.get(lo)![0] === "untestable") {
    lo++;
    if (lo < hi) await s.probe(lo, "skip-neighbour", [lo + 1]);
  }
  while (hi > lo && s.seen.get(hi)![0] === "untestable") {
    hi--;
    if (hi > lo) await s.probe(hi, "skip-neighbour", [hi - 1]);
  }
  return lo < hi ? [lo, hi] : undefined;
}

/**
 * The span to scan when the observations contradict a single `from` → `to` transition: some version showed `to`
 * at or before one that showed `from` (a flaky confirm is that, at one version). Widened to the nearest versions
 * with a verdict on either side, so the scan also finds where the contradiction begins and ends.
 */
function regionInDoubt<V>(s: Search<V>, from: Verdict, to: Verdict): [number, number] | undefined {
  let firstTo = Number.POSITIVE_INFINITY;
  let lastFrom = Number.NEGATIVE_INFINITY;
  for (const [i, vs] of s.seen) {
    if (vs.includes(to)) firstTo = Math.min(firstTo, i);
    if (vs.includes(from)) lastFrom = Math.max(lastFrom, i);
  }
  if (firstTo > lastFrom) return undefined;
  const judged = [...s.seen.entries()].filter(([, vs]) => vs.some((v) => v !== "untestable")).map(([i]) => i);
  const below = judged.filter((i) => i < firstTo);
  const above = judged.filter((i) => i > lastFrom);
  return [below.length > 0 ? Math.max(...below) : firstTo, above.length > 0 ? Math.min(...above) : lastFrom];
}

/** Tests every not-yet-tested version strictly between lo and hi, in order. */
async function scan<V>(s: Search<V>, lo: number, hi: number): Promise<void> {
  const todo: number[] = [];
  for (let i = lo + 1; i < hi; i++) if (!s.seen.has(i)) todo.push(i);
  for (const [k, i] of todo.entries()) await s.probe(i, "scan", [todo[k + 1]]);
}

/**
 * Consecutive versions with a stable verdict whose verdicts differ. Every version between such a pair has been
 * tested by then (the search only stops when the bracket holds nothing untested), so what lies between gave no
 * stable verdict.
 */
function transitionsOf<V>(s: Search<V>, versions: V[]): Transition<V>[] {
  const tested = [...s.seen.keys()].sort((x, y) => x - y);
  const judged = tested.filter((i) => s.stable(i) !== undefined);
  const out: Transition<V>[] = [];
  for (let k = 1; k < judged.length; k++) {
    const p = judged[k - 1]!;
    const q = judged[k]!;
    const from = s.stable(p)!;
    const to = s.stable(q)!;
    if (from === to) continue;
    const between = tested.filter((i) => i > p && i < q).map((i) => versions[i]!);
    out.push({ lastBefore: versions[p]!, firstAfter: versions[q]!, from, to, untestableBetween: between });
  }
  return out;
}

/** One line per test, e.g. `[3] 0.11.4  clean       (midpoint)`; columns aligned so a long trail stays readable. */
export function formatTrail<V>(steps: Step<V>[], label: (v: V) => string): string[] {
  const labels = steps.map((st) => label(st.version));
  const iw = Math.max(0, ...steps.map((st) => String(st.index).length));
  const lw = Math.max(0, ...labels.map((l) => l.length));
  const vw = Math.max(...[...VERDICTS].map((v) => v.length));
  return steps.map((st, k) => `[${String(st.index).padStart(iw)}] ${labels[k]!.padEnd(lw)}  ${st.verdict.padEnd(vw)}  (${st.why})`);
}
