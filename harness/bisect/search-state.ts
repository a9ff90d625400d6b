import type { BisectOptions, Shown, Step, StepWhy, Verdict } from "./types.js";

const VERDICTS: ReadonlySet<string> = new Set<Verdict>(["affected", "clean", "untestable"]);

/**
 * What one bisection has learnt so far: every test it ran (version index → verdicts in the order observed, two only
 * after a confirm) and the trail. The search's phases read it to decide what to test next; only `probe` adds to it.
 */
export class SearchState<V> {
  readonly seen = new Map<number, Verdict[]>();
  readonly steps: Step<V>[] = [];
  /** Middles of stretches the search stepped over because both their ends agreed: what a cross-check tests. */
  readonly checks: number[] = [];
  readonly n: number;

  constructor(private readonly o: BisectOptions<V>) {
    this.n = o.versions.length;
  }

  /** Tests version `i`, first handing `warm` to `prepare` so their images build while this one runs. */
  async probe(i: number, why: StepWhy, warm: (number | undefined)[] = []): Promise<Verdict> {
    const prior = this.seen.get(i);
    // Re-testing costs tens of seconds and tells nothing new, unless re-testing is the point.
    if (prior !== undefined && why !== "confirm") return prior[0]!;
    this.o.signal.throwIfAborted();
    for (const w of warm) if (w !== undefined && w >= 0 && w < this.n && !this.seen.has(w)) this.prepare(w);
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

  /** Whether version `i` was tested again to confirm it. */
  confirmed(i: number): boolean {
    return (this.seen.get(i)?.length ?? 0) > 1;
  }

  /**
   * The next version to test strictly inside (a, b): the midpoint, or if that was already tested (untestable), the
   * middle of the widest stretch of untested versions left, so a run of untestable versions is crossed in O(log n)
   * tests rather than one per version. undefined when nothing is left.
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

  /** The one verdict a version gave, or undefined when it gave none worth building on (untested, untestable, flaky). */
  stable(i: number): Verdict | undefined {
    const vs = this.seen.get(i);
    const v = vs?.[0];
    return v !== undefined && v !== "untestable" && vs!.every((x) => x === v) ? v : undefined;
  }

  /** What a tested version showed, for a reader. */
  shown(i: number): Shown {
    const vs = this.seen.get(i) ?? [];
    return vs.every((x) => x === vs[0]) ? vs[0]! : "flaky";
  }

  /** The versions with a stable verdict, in order. */
  known(): number[] {
    return [...this.seen.keys()].filter((i) => this.stable(i) !== undefined).sort((x, y) => x - y);
  }

  /** Neighbours among the known versions whose verdicts differ: where a transition lies. */
  disagreeing(): [number, number][] {
    const known = this.known();
    const out: [number, number][] = [];
    for (let k = 1; k < known.length; k++) {
      const [p, q] = [known[k - 1]!, known[k]!];
      if (this.stable(p) !== this.stable(q)) out.push([p, q]);
    }
    return out;
  }

  /** The first pair of disagreeing neighbours with an untested version still between them. */
  openBracket(): [number, number] | undefined {
    return this.disagreeing().find(([p, q]) => this.untestedBetween(p, q));
  }

  untestedBetween(a: number, b: number): boolean {
    for (let i = a + 1; i < b; i++) if (!this.seen.has(i)) return true;
    return false;
  }
}
