/** The shapes a bisection takes and gives back; the search itself is in search.ts. */

export type Verdict = "affected" | "clean" | "untestable";

/** Why a version was tested; shown in the trail so a reader can tell the search's reasoning from its results. */
export type StepWhy =
  /** a version the caller says shows the bug (--affected), tested first */
  | "start"
  /** the oldest or newest version */
  | "endpoint"
  /** crossing untestable versions at an end: galloping in from it (1, 2, 4… steps), then halving the last step */
  | "edge"
  /** the ends agreed, so versions between them are sampled: the caller's hints, then a spread */
  | "sample"
  /** the middle of two neighbours that disagree */
  | "midpoint"
  /** that middle was already tested (untestable): the middle of the widest untested stretch instead */
  | "skip-neighbour"
  /** a side of a transition, tested again */
  | "confirm"
  /** the middle of a stretch the search stepped over because both its ends agreed (crossCheck) */
  | "check";

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
   * Position in `versions` of a version said to show the bug (--affected), tested before the ends. When the ends
   * agree with each other but not with it, the search bisects on both sides of it: a bug that came and went.
   */
  start?: number;
  /**
   * Positions in `versions` to sample first when the ends agree, before the spread: the claim's first fixed release
   * and the one before it, where a claim is most likely wrong.
   */
  hints?: number[];
  /**
   * Also test the middle of every stretch the search stepped over because its ends agreed (why "check"), after the
   * boundaries are confirmed. Plain bisection cannot see a bug that comes back (affected → clean → affected → clean)
   * inside such a stretch; a check can, and the search then bisects what it opened. It roughly doubles the cost
   * (still within 2·⌈log2 n⌉ + 4 on a monotone history), but its versions were already handed to `prepare`, so it
   * costs run time, not builds. Off by default.
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

/** What a tested version showed: its one verdict, or "flaky" when its tests disagreed. */
export type Shown = Verdict | "flaky";

/** A tested version beside an untested stretch. */
export interface Neighbour<V> {
  version: V;
  shown: Shown;
}

/**
 * A stretch of consecutive versions the search never tested. Nothing is known of them: even between two versions
 * that agree, a bug may have come and gone.
 */
export interface Unsettled<V> {
  first: V;
  last: V;
  count: number;
  /** The nearest tested versions on either side; absent at an end of the list. */
  below?: Neighbour<V>;
  above?: Neighbour<V>;
}

export interface BisectResult<V> {
  transitions: Transition<V>[];
  /** Every version not tested, as stretches in order. Empty only when every version was tested. */
  unsettled: Unsettled<V>[];
  steps: Step<V>[];
  /** true when the ends (the oldest and newest versions with a verdict) agreed, so versions between were sampled. */
  sampled: boolean;
  /**
   * true when a re-test or a cross-check contradicted what the search had seen (a flaky side, or a change inside a
   * stretch it had stepped over), and it went on to bisect the ranges that opened.
   */
  widened: boolean;
  tested: number;
}
