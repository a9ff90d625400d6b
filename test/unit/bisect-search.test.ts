import { describe, expect, it } from "vitest";
import { verdictOf } from "../../harness/bisect/run-bisect.js";
import {
  type BisectOptions,
  type BisectResult,
  bisect,
  formatTrail,
  monotoneBound,
  sampledBound,
  type Verdict,
} from "../../harness/bisect/search.js";
import { type SummaryInput, summaryLines } from "../../harness/bisect/summary.js";
import type { Cell } from "../../harness/cell/cell.js";
import type { Outcome } from "../../harness/cell/outcome.js";
import type { CellRecord } from "../../harness/cell/record.js";

// Versions are their own indices, so a transition reads as plain numbers.
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const bound = (n: number): number => 2 * Math.ceil(Math.log2(n)) + 4;
const samplesOf = (r: BisectResult<number>): number => r.steps.filter((st) => st.why === "sample").length;
/** affected in [from, to), clean elsewhere: a bug introduced in `from` and fixed in `to`. */
const cameAndWent =
  (from: number, to: number) =>
  (i: number): Verdict =>
    i >= from && i < to ? "affected" : "clean";
/** affected below `at`, clean from `at` on: a bug fixed in version `at`. */
const fixedAt =
  (at: number) =>
  (i: number): Verdict =>
    i < at ? "affected" : "clean";

async function run(
  n: number,
  verdictOf: (i: number, call: number) => Verdict,
  extra: Partial<BisectOptions<number>> = {},
): Promise<BisectResult<number>> {
  const calls = new Map<number, number>();
  const r = await bisect<number>({
    versions: range(n),
    test: async (v) => {
      const call = calls.get(v) ?? 0;
      calls.set(v, call + 1);
      return verdictOf(v, call);
    },
    signal: new AbortController().signal,
    ...extra,
  });
  // Whatever the case: every test shows up in the trail, and only a confirm ever repeats a version. Nothing is
  // assumed: every version it did not test is in exactly one unsettled stretch, beside what was tested. (Checked in
  // plain code and asserted once: the exhaustive tests below run this thousands of times.)
  const firsts = r.steps.filter((st) => st.why !== "confirm").map((st) => st.index);
  const stretches = r.unsettled.map((u) => [u.first, u.last, u.count, u.below?.version, u.above?.version]);
  const expected = r.unsettled.map((u) => [
    u.first,
    u.last,
    u.last - u.first + 1,
    u.first > 0 ? u.first - 1 : undefined,
    u.last < n - 1 ? u.last + 1 : undefined,
  ]);
  expect({
    tested: r.tested,
    steps: r.steps.length,
    repeatedFirsts: firsts.length - new Set(firsts).size,
    untested: r.unsettled.flatMap((u) => range(u.count).map((k) => u.first + k)).join(),
    stretches: JSON.stringify(stretches),
  }).toEqual({
    tested: [...calls.values()].reduce((x, y) => x + y, 0),
    steps: r.tested,
    repeatedFirsts: 0,
    untested: range(n)
      .filter((i) => !calls.has(i))
      .join(),
    stretches: JSON.stringify(expected),
  });
  return r;
}

describe("bisect, monotonic", () => {
  const expectFix = (r: BisectResult<number>, n: number, at: number) => {
    expect(r.transitions).toEqual([{ lastBefore: at - 1, firstAfter: at, from: "affected", to: "clean", untestableBetween: [] }]);
    expect(r.widened).toBe(false);
    expect(r.tested).toBeLessThanOrEqual(bound(n));
    expect(r.steps.filter((st) => st.why === "confirm").map((st) => st.index)).toEqual([at - 1, at]);
  };

  it("finds the fix at every position for n = 2..40", async () => {
    for (let n = 2; n <= 40; n++) for (let at = 1; at < n; at++) expectFix(await run(n, fixedAt(at)), n, at);
  });

  it("stays within 2⌈log2 n⌉ + 4 tests for long lists", async () => {
    for (const n of [2, 3, 10, 64, 200, 1000]) {
      for (const at of new Set([1, 2, Math.floor(n / 3), Math.floor(n / 2), n - 2, n - 1].filter((x) => x >= 1 && x < n))) {
        expectFix(await run(n, fixedAt(at)), n, at);
      }
    }
  });

  it("finds a regression (clean → affected) the same way", async () => {
    const r = await run(50, (i) => (i < 17 ? "clean" : "affected"));
    expect(r.transitions).toEqual([{ lastBefore: 16, firstAfter: 17, from: "clean", to: "affected", untestableBetween: [] }]);
  });

  it("tests the ends first, then midpoints, then confirms", async () => {
    const r = await run(10, fixedAt(3));
    expect(r.steps.map((st) => [st.index, st.why])).toEqual([
      [0, "endpoint"],
      [9, "endpoint"],
      [4, "midpoint"],
      [2, "midpoint"],
      [3, "midpoint"],
      [2, "confirm"],
      [3, "confirm"],
    ]);
  });

  it("reports every version it did not test as unsettled, with what its tested neighbours showed", async () => {
    const r = await run(10, fixedAt(3));
    // Tested: 0, 9, 4, 2, 3. Agreeing neighbours say nothing of what lies between them.
    expect(r.unsettled).toEqual([
      { first: 1, last: 1, count: 1, below: { version: 0, shown: "affected" }, above: { version: 2, shown: "affected" } },
      { first: 5, last: 8, count: 4, below: { version: 4, shown: "clean" }, above: { version: 9, shown: "clean" } },
    ]);
    expect(r.sampled).toBe(false);
  });

  it("tests nothing with fewer than two versions", async () => {
    expect((await run(0, () => "clean")).tested).toBe(0);
    expect((await run(1, () => "clean")).tested).toBe(0);
  });
});

describe("bisect, when the ends agree", () => {
  it("samples the middle and the quartiles, and concludes nothing of the versions it did not test", async () => {
    for (const v of ["clean", "affected"] as const) {
      const r = await run(30, () => v);
      expect(r).toMatchObject({ transitions: [], sampled: true, widened: false, tested: 5 });
      expect(r.steps.slice(2).map((st) => [st.index, st.why])).toEqual([
        [15, "sample"],
        [7, "sample"],
        [22, "sample"],
      ]);
      expect(r.unsettled.reduce((k, u) => k + u.count, 0)).toBe(25);
    }
  });

  it("samples the caller's hints (the claim's first fixed release and the one before it) before the spread", async () => {
    const r = await run(30, () => "clean", { hints: [12, 11] });
    expect(r.steps.slice(2).map((st) => [st.index, st.why])).toEqual([
      [12, "sample"],
      [11, "sample"],
      [15, "sample"],
      [7, "sample"],
      [22, "sample"],
    ]);
  });

  it("names both transitions of a bug that came and went between two clean ends", async () => {
    const r = await run(30, cameAndWent(10, 20));
    expect(r.sampled).toBe(true);
    expect(r.transitions).toEqual([
      { lastBefore: 9, firstAfter: 10, from: "clean", to: "affected", untestableBetween: [] },
      { lastBefore: 19, firstAfter: 20, from: "affected", to: "clean", untestableBetween: [] },
    ]);
    expect(r.steps.filter((st) => st.why === "confirm").map((st) => st.index)).toEqual([9, 10, 19, 20]);
    expect(r.tested).toBeLessThanOrEqual(sampledBound(30, samplesOf(r), 2));
    expect(sampledBound(30, 5, 2)).toBe(2 * Math.ceil(Math.log2(30)) + 7);
  });

  it("finds every bug that came and went when hinted at its fix, within the sampled bound (n = 4..28)", async () => {
    for (let n = 4; n <= 28; n++)
      for (let from = 1; from < n - 1; from++)
        for (let to = from + 1; to < n; to++) {
          const r = await run(n, cameAndWent(from, to), { hints: [to, to - 1] });
          const label = `n=${n} affected ${from}..${to - 1}`;
          expect(
            r.transitions.map((t) => [t.lastBefore, t.firstAfter]),
            label,
          ).toEqual([
            [from - 1, from],
            [to - 1, to],
          ]);
          expect(r.tested, label).toBeLessThanOrEqual(sampledBound(n, samplesOf(r), 2));
        }
  });

  it("without hints, finds what a sample lands in and leaves the rest unsettled, never assumed clean (n = 4..28)", async () => {
    let found = 0;
    let cases = 0;
    for (let n = 4; n <= 28; n++)
      for (let from = 1; from < n - 1; from++)
        for (let to = from + 1; to < n; to++) {
          cases++;
          const r = await run(n, cameAndWent(from, to));
          const label = `n=${n} affected ${from}..${to - 1}`;
          const sampledInside = r.steps.some((st) => st.why === "sample" && st.index >= from && st.index < to);
          if (sampledInside) {
            found++;
            expect(
              r.transitions.map((t) => [t.lastBefore, t.firstAfter]),
              label,
            ).toEqual([
              [from - 1, from],
              [to - 1, to],
            ]);
            expect(r.tested, label).toBeLessThanOrEqual(sampledBound(n, samplesOf(r), 2));
          } else {
            expect(r.transitions, label).toEqual([]);
            // The whole bug lies in one stretch the search reports as unsettled.
            expect(
              r.unsettled.some((u) => u.first <= from && u.last >= to - 1),
              label,
            ).toBe(true);
          }
        }
    // Most of them: a quarter of the list or more is always sampled.
    expect(found / cases).toBeGreaterThan(0.6);
  });

  it("crosses an untestable old end, finds the oldest testable version, then samples between the testable ends", async () => {
    // 60 versions, the oldest 20 untestable; affected 40..49, fixed in 50 as the claim says.
    const f = (i: number): Verdict => (i < 20 ? "untestable" : cameAndWent(40, 50)(i));
    const r = await run(60, f, { hints: [50, 49] });
    // Galloping in from the old end lands on 32 (clean, like the newest); the last step, 16..32, is halved to 20.
    expect(r.steps.filter((st) => st.why === "edge").map((st) => st.index)).toEqual([1, 2, 4, 8, 16, 32, 24, 20, 18, 19]);
    expect(r.sampled).toBe(true);
    expect(r.transitions.map((t) => [t.lastBefore, t.firstAfter, t.from, t.to])).toEqual([
      [39, 40, "clean", "affected"],
      [49, 50, "affected", "clean"],
    ]);
    expect(r.tested).toBeLessThanOrEqual(sampledBound(60, samplesOf(r), 2, 1));
  });

  it("behind an untestable end, names the fix and leaves an introduction it did not reach unsettled (n = 4..18)", async () => {
    let both = 0;
    for (let n = 4; n <= 18; n++)
      for (let dead = 1; dead < n - 2; dead++)
        for (let from = dead + 1; from < n - 1; from++)
          for (let to = from + 1; to < n; to++) {
            const f = (i: number): Verdict => (i < dead ? "untestable" : cameAndWent(from, to)(i));
            const r = await run(n, f, { hints: [to, to - 1] });
            const label = `n=${n} untestable below ${dead}, affected ${from}..${to - 1}`;
            const found = r.transitions.map((t) => [t.lastBefore, t.firstAfter]);
            if (found.length === 2) {
              both++;
              expect(found, label).toEqual([
                [from - 1, from],
                [to - 1, to],
              ]);
              expect(r.tested, label).toBeLessThanOrEqual(sampledBound(n, samplesOf(r), 2, 1));
            } else {
              // The gallop landed inside the affected stretch: the fix is found within the monotone bound, and some
              // clean version between the untestable run and the bug was not tested, so nothing is said of it.
              expect(found, label).toEqual([[to - 1, to]]);
              expect(r.tested, label).toBeLessThanOrEqual(bound(n));
              const untested = r.unsettled.flatMap((u) => range(u.count).map((k) => u.first + k));
              expect(
                untested.some((i) => i >= dead && i < from),
                label,
              ).toBe(true);
            }
          }
    expect(both).toBeGreaterThan(0);
  });
});

describe("bisect, starting from a version said to be affected", () => {
  it("tests it first, then the ends, and bisects on both sides of it", async () => {
    const r = await run(40, cameAndWent(12, 25), { start: 18 });
    expect(r.steps.slice(0, 3).map((st) => [st.index, st.why])).toEqual([
      [18, "start"],
      [0, "endpoint"],
      [39, "endpoint"],
    ]);
    expect(r.transitions.map((t) => [t.lastBefore, t.firstAfter])).toEqual([
      [11, 12],
      [24, 25],
    ]);
  });

  it("finds a short-lived bug the samples alone would miss", async () => {
    // Affected only in 17..19: no sample of 40 versions lands there.
    expect((await run(40, cameAndWent(17, 20))).transitions).toEqual([]);
    const r = await run(40, cameAndWent(17, 20), { start: 18 });
    expect(r.transitions.map((t) => [t.lastBefore, t.firstAfter])).toEqual([
      [16, 17],
      [19, 20],
    ]);
  });

  it("takes a start that is not affected as one more tested version", async () => {
    const r = await run(40, fixedAt(10), { start: 25 });
    expect(r.steps[0]).toMatchObject({ index: 25, verdict: "clean", why: "start" });
    expect(r.transitions.map((t) => [t.lastBefore, t.firstAfter])).toEqual([[9, 10]]);
    expect(r.tested).toBeLessThanOrEqual(bound(40));
  });

  it("refuses a start or hint that names no version", async () => {
    for (const extra of [{ start: 40 }, { start: -1 }, { hints: [3, 1.5] }])
      await expect(
        bisect<number>({ versions: range(40), test: async () => "clean", signal: new AbortController().signal, ...extra }),
      ).rejects.toThrow(RangeError);
  });
});

describe("bisect, untestable versions", () => {
  it("reports a boundary inside an untestable run as a range", async () => {
    const r = await run(20, (i) => (i >= 5 && i <= 8 ? "untestable" : fixedAt(7)(i)));
    expect(r.transitions).toEqual([{ lastBefore: 4, firstAfter: 9, from: "affected", to: "clean", untestableBetween: [5, 6, 7, 8] }]);
    expect(r.widened).toBe(false);
    expect(r.tested).toBeLessThanOrEqual(bound(20) + 4);
  });

  it("skips an untestable midpoint to the middle of the widest untested stretch left", async () => {
    const r = await run(10, (i) => (i === 4 ? "untestable" : fixedAt(7)(i)));
    // Tested so far 0, 9 and 4: the stretch 5..8 is wider than 1..3.
    expect(r.steps.slice(2, 4).map((st) => [st.index, st.why])).toEqual([
      [4, "midpoint"],
      [6, "skip-neighbour"],
    ]);
    expect(r.transitions).toMatchObject([{ lastBefore: 6, firstAfter: 7, untestableBetween: [] }]);
  });

  it("gallops across #85's 20 untestable releases at the old end, within 2⌈log2 n⌉ + 4", async () => {
    // #85 with --versions all: 183 releases on Python 3.9, the oldest 20 untestable, fixed in the 81st.
    const r = await run(183, (i) => (i < 20 ? "untestable" : fixedAt(80)(i)));
    expect(r.transitions).toEqual([{ lastBefore: 79, firstAfter: 80, from: "affected", to: "clean", untestableBetween: [] }]);
    expect(r.tested).toBeLessThanOrEqual(bound(183));
    // 1, 2, 4, 8, 16 steps in are untestable, 32 is affected: six tests instead of twenty, then plain bisection.
    expect(r.steps.filter((st) => st.why === "edge").map((st) => [st.index, st.verdict])).toEqual([
      [1, "untestable"],
      [2, "untestable"],
      [4, "untestable"],
      [8, "untestable"],
      [16, "untestable"],
      [32, "affected"],
    ]);
    // What the gallop stepped over is not taken to be anything.
    expect(r.unsettled[3]).toEqual({
      first: 17,
      last: 31,
      count: 15,
      below: { version: 16, shown: "untestable" },
      above: { version: 32, shown: "affected" },
    });
  });

  it("finds testable versions behind an untestable end even when untestable ones are scattered further in", async () => {
    // Like #85 on Python 3.9: the oldest 20 never install, and some later sdists do not compile either.
    const scattered = new Set([20, 45, 89, 90, 91, 112, 134]);
    const r = await run(183, (i) => (i < 20 || scattered.has(i) ? "untestable" : fixedAt(60)(i)));
    expect(r.transitions).toEqual([{ lastBefore: 59, firstAfter: 60, from: "affected", to: "clean", untestableBetween: [] }]);
    expect(r.tested).toBeLessThanOrEqual(bound(183));
  });

  it("finds the boundary within 2⌈log2 n⌉ + 4 behind an untestable run of any length at either end (n = 2..24)", async () => {
    for (let n = 2; n <= 24; n++)
      for (let dead = 0; dead < n - 1; dead++)
        for (let at = dead + 1; at < n; at++)
          for (const mirrored of [false, true]) {
            const f = (i: number): Verdict => (i < dead ? "untestable" : fixedAt(at)(i));
            const r = await run(n, mirrored ? (i) => f(n - 1 - i) : f);
            const label = `n=${n} dead=${dead} at=${at} mirrored=${mirrored}`;
            const [p, q] = mirrored ? [n - 1 - at, n - at] : [at - 1, at];
            expect(
              r.transitions.map((t) => [t.lastBefore, t.firstAfter]),
              label,
            ).toEqual([[p, q]]);
            expect(r.tested, label).toBeLessThanOrEqual(monotoneBound(n));
          }
  });

  it("costs at most 2⌈log2 n⌉ more when both ends are untestable, and finds a testable stretch of a quarter or more", async () => {
    for (let n = 4; n <= 18; n++)
      for (let low = 1; low < n - 2; low++)
        for (let high = 1; low + high < n - 1; high++)
          for (let at = low + 1; at < n - high; at++) {
            const r = await run(n, (i) => (i < low || i >= n - high ? "untestable" : fixedAt(at)(i)));
            const label = `n=${n} untestable below ${low} and from ${n - high}, fixed at ${at}`;
            expect(r.tested, label).toBeLessThanOrEqual(monotoneBound(n, 2));
            if (4 * (n - low - high) >= n)
              expect(
                r.transitions.map((t) => [t.lastBefore, t.firstAfter]),
                label,
              ).toEqual([[at - 1, at]]);
          }
  });

  it("gives up on a list where nothing it tries is testable: gallops from both ends, then ⌈log2 n⌉ middles", async () => {
    const r = await run(64, () => "untestable");
    const whys = r.steps.map((st) => st.why);
    expect(whys.filter((w) => w === "edge")).toHaveLength(12);
    expect(whys.filter((w) => w === "skip-neighbour")).toHaveLength(6);
    expect(r.tested).toBe(2 + 12 + 6);
    expect(r.tested).toBeLessThanOrEqual(monotoneBound(64, 2));
    expect(r.transitions).toEqual([]);
    expect(r.unsettled.reduce((k, u) => k + u.count, 0)).toBe(64 - 20);
  });

  it("finds the boundary between the nearest testable versions, or leaves it unsettled, whatever is untestable", async () => {
    // A small deterministic generator, so a failure names a case that can be replayed.
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let found = 0;
    for (let round = 0; round < 500; round++) {
      const n = 2 + Math.floor(rand() * 60);
      const at = 1 + Math.floor(rand() * (n - 1));
      const dead = new Set(range(n).filter(() => rand() < 0.3));
      const r = await run(n, (i) => (dead.has(i) ? "untestable" : fixedAt(at)(i)));
      const live = range(n).filter((i) => !dead.has(i));
      const before = live.filter((i) => i < at).at(-1);
      const after = live.find((i) => i >= at);
      const expected =
        before === undefined || after === undefined
          ? []
          : [
              {
                lastBefore: before,
                firstAfter: after,
                from: "affected",
                to: "clean",
                untestableBetween: range(n).slice(before + 1, after),
              },
            ];
      const label = `n=${n} at=${at} dead=${[...dead]}`;
      // Between testable ends it always finds it. Behind untestable ends, a testable version scattered among untestable
      // ones can escape the halving: then it names no transition, and the versions it missed are unsettled.
      const missed = r.transitions.length === 0 && expected.length > 0 && (dead.has(0) || dead.has(n - 1));
      if (!missed) {
        found++;
        expect(r.transitions, label).toEqual(expected);
      } else {
        // Everything it judged agrees, and a testable version of the other verdict is among those it did not test.
        const judged = new Set<Verdict>(r.steps.map((st) => st.verdict).filter((v) => v !== "untestable"));
        expect(judged.size, label).toBe(1);
        const untested = new Set(r.unsettled.flatMap((u) => range(u.count).map((k) => u.first + k)));
        expect(
          live.some((i) => untested.has(i) && !judged.has(fixedAt(at)(i))),
          label,
        ).toBe(true);
      }
      expect(r.widened).toBe(false);
    }
    expect(found).toBeGreaterThan(400);
  });

  it("crosses a long run of untestable versions between the ends in O(log n) tests, not one per version", async () => {
    // 200 versions, 60..139 untestable (a Python they cannot install on), fixed at 150.
    const r = await run(200, (i) => (i >= 60 && i < 140 ? "untestable" : fixedAt(150)(i)));
    expect(r.transitions).toMatchObject([{ lastBefore: 149, firstAfter: 150, untestableBetween: [] }]);
    expect(r.tested).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(200)) + 4);
  });

  it("reports nothing when fewer than two versions are testable", async () => {
    expect((await run(6, () => "untestable")).transitions).toEqual([]);
    expect((await run(6, (i) => (i === 3 ? "clean" : "untestable"))).transitions).toEqual([]);
  });

  it("reports a boundary where everything between the ends is untestable", async () => {
    const r = await run(6, (i) => (i === 0 ? "affected" : i === 5 ? "clean" : "untestable"));
    expect(r.transitions).toEqual([{ lastBefore: 0, firstAfter: 5, from: "affected", to: "clean", untestableBetween: [1, 2, 3, 4] }]);
  });
});

describe("bisect, not monotonic", () => {
  // affected 0-2, clean 3 (fixed, then broken again), affected 4-9, clean from 10.
  const comeback = (i: number): Verdict => (i === 3 || i >= 10 ? "clean" : "affected");

  it("misses a comeback without cross-checks, but reports where it could hide as unsettled", async () => {
    const r = await run(16, comeback);
    expect(r.widened).toBe(false);
    expect(r.transitions).toMatchObject([{ lastBefore: 9, firstAfter: 10 }]);
    // 3 lies between 0 and 7, both affected: not taken to be affected too.
    expect(r.unsettled).toContainEqual({
      first: 1,
      last: 6,
      count: 6,
      below: { version: 0, shown: "affected" },
      above: { version: 7, shown: "affected" },
    });
  });

  it("finds a comeback with cross-checks, widens, and reports every transition", async () => {
    const r = await run(16, comeback, { crossCheck: true });
    expect(r.widened).toBe(true);
    expect(r.steps.some((st) => st.why === "check" && st.index === 3)).toBe(true);
    // The check opened two brackets (0..3 and 3..7), bisected like any other: not a scan of every version.
    const after = r.steps.slice(r.steps.findIndex((st) => st.why === "check" && st.index === 3) + 1);
    expect(after.filter((st) => st.why === "midpoint").map((st) => st.index)).toEqual([1, 2, 5, 4]);
    expect(r.steps.some((st) => st.index === 6)).toBe(false);
    expect(r.transitions.map((t) => [t.lastBefore, t.firstAfter, t.from, t.to])).toEqual([
      [2, 3, "affected", "clean"],
      [3, 4, "clean", "affected"],
      [9, 10, "affected", "clean"],
    ]);
  });

  it("keeps cross-checks within the bound when the list is monotonic", async () => {
    // Every position for n = 2..40, then spot positions for long lists.
    const cases: [number, number][] = range(41).flatMap((n) =>
      range(n)
        .slice(1)
        .map((at): [number, number] => [n, at]),
    );
    for (const n of [64, 200, 1000]) for (const at of [1, Math.floor(n / 2), n - 1]) cases.push([n, at]);
    for (const [n, at] of cases) {
      const r = await run(n, fixedAt(at), { crossCheck: true });
      expect(r.widened).toBe(false);
      expect(r.tested).toBeLessThanOrEqual(bound(n));
      expect(r.transitions).toMatchObject([{ lastBefore: at - 1, firstAfter: at }]);
    }
  });

  it("widens when a confirm disagrees, and reports the flaky version as part of the boundary", async () => {
    // Version 19 is affected on its first run and clean on the re-test; 18 was never bisected, so it is now, and the
    // new side is confirmed in turn.
    const r = await run(30, (i, call) => (i === 19 && call === 1 ? "clean" : fixedAt(20)(i)));
    expect(r.widened).toBe(true);
    expect(r.steps.filter((st) => st.why === "confirm").map((st) => [st.index, st.verdict])).toEqual([
      [19, "clean"],
      [20, "clean"],
      [18, "affected"],
    ]);
    expect(r.steps.slice(-2).map((st) => [st.index, st.why])).toEqual([
      [18, "midpoint"],
      [18, "confirm"],
    ]);
    expect(r.transitions).toEqual([{ lastBefore: 18, firstAfter: 20, from: "affected", to: "clean", untestableBetween: [19] }]);
  });
});

describe("bisect, plumbing", () => {
  it("prepares both possible next midpoints before the current test resolves", async () => {
    const prepared: number[] = [];
    let seenDuringTest: number[] | undefined;
    let release: (v: Verdict) => void = () => {};
    const r = bisect<number>({
      versions: range(9),
      signal: new AbortController().signal,
      prepare: (v) => prepared.push(v),
      test: (v) => {
        if (v !== 4) return Promise.resolve(fixedAt(6)(v));
        seenDuringTest = [...prepared];
        return new Promise((resolve) => {
          release = resolve;
        });
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seenDuringTest).toEqual(expect.arrayContaining([2, 6]));
    release("affected");
    expect((await r).transitions).toMatchObject([{ lastBefore: 5, firstAfter: 6 }]);
  });

  it("prepares the gallop's next step, and nothing outside the list", async () => {
    for (const verdictOf of [() => "untestable" as const, (i: number) => (i < 5 ? "untestable" : fixedAt(9)(i))]) {
      const prepared: (number | undefined)[] = [];
      await run(12, verdictOf, { prepare: (v) => prepared.push(v) });
      expect(prepared.length).toBeGreaterThan(0);
      expect(prepared.filter((v) => v === undefined || v < 0 || v >= 12)).toEqual([]);
    }
    const prepared: number[] = [];
    await run(40, (i) => (i < 10 ? "untestable" : "clean"), { prepare: (v) => prepared.push(v) });
    // While 1 step in runs, 2 steps in is built; then 4, 8 and 16.
    expect(prepared).toEqual(expect.arrayContaining([2, 4, 8, 16]));
  });

  it("ignores a prepare that throws or rejects", async () => {
    for (const prepare of [
      () => {
        throw new Error("no docker");
      },
      async () => {
        throw new Error("no docker");
      },
    ]) {
      const r = await run(12, fixedAt(5), { prepare });
      expect(r.transitions).toMatchObject([{ lastBefore: 4, firstAfter: 5 }]);
    }
  });

  it("reports each step as it happens", async () => {
    const live: number[] = [];
    const r = await run(12, fixedAt(5), { onStep: (st) => live.push(st.index) });
    expect(live).toEqual(r.steps.map((st) => st.index));
  });

  it("rejects with the signal's reason when aborted between steps", async () => {
    const ac = new AbortController();
    const reason = new Error("stop");
    const r = bisect<number>({
      versions: range(40),
      signal: ac.signal,
      test: async (v) => {
        if (v === 39) ac.abort(reason);
        return fixedAt(20)(v);
      },
    });
    await expect(r).rejects.toBe(reason);
  });

  it("rejects at once when already aborted", async () => {
    const ac = new AbortController();
    ac.abort(new Error("early"));
    let calls = 0;
    const test = async (): Promise<Verdict> => {
      calls++;
      return "clean";
    };
    const r = bisect<number>({ versions: range(5), signal: ac.signal, test });
    await expect(r).rejects.toThrow("early");
    expect(calls).toBe(0);
  });

  it("refuses a verdict that is not one", async () => {
    const r = bisect<number>({ versions: range(5), signal: new AbortController().signal, test: async () => "fixed" as Verdict });
    await expect(r).rejects.toThrow(/not a verdict/);
  });
});

describe("formatTrail", () => {
  it("aligns index, version, verdict and reason", async () => {
    const versions = ["0.11.2", "0.11.3", "0.11.4", "0.11.5", "0.12.0", "0.13.10"];
    const r = await bisect<string>({
      versions,
      signal: new AbortController().signal,
      test: async (v) => (versions.indexOf(v) < 2 ? "affected" : "clean"),
    });
    expect(formatTrail(r.steps, (v) => v)).toEqual([
      "[0] 0.11.2   affected    (endpoint)",
      "[5] 0.13.10  clean       (endpoint)",
      "[2] 0.11.4   clean       (midpoint)",
      "[1] 0.11.3   affected    (midpoint)",
      "[1] 0.11.3   affected    (confirm)",
      "[2] 0.11.4   clean       (confirm)",
    ]);
  });
});

describe("bisect summary", () => {
  const versions = ["0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", "0.9.0", "0.10.0"];
  const cell = (v: string): Cell => ({
    python: "3.11",
    packages: { uvicorn: v, gunicorn: "23.0.0" },
    workerClass: "uvicorn.workers.UvicornWorker",
    preload: true,
    app: "plain",
    workers: 2,
  });
  /** The summary of a real search over `versions` whose cells had these outcomes. */
  async function summarize(outcomeOf: (v: string) => Outcome, extra: Partial<SummaryInput> & Partial<BisectOptions<string>> = {}) {
    const records = new Map<string, CellRecord>();
    const result = await bisect<string>({
      versions,
      signal: new AbortController().signal,
      test: async (v) => {
        records.set(v, { outcome: outcomeOf(v), reason: `${outcomeOf(v)} at ${v}` } as CellRecord);
        return verdictOf(outcomeOf(v));
      },
      ...extra,
    });
    return summaryLines({
      result,
      records,
      searched: versions,
      hinted: [],
      configFile: "m.yaml",
      runtime: "local",
      package: "uvicorn",
      byVersion: new Map(versions.map((v) => [v, cell(v)])),
      ...extra,
    });
  }

  it("says what agreeing ends cost and names every untested stretch as not settled, never as assumed", async () => {
    const lines = await summarize(() => "clean");
    expect(lines).toEqual([
      "",
      "5 cells run for 10 versions; the ends agreed, so 3 versions between them were sampled: a spread (bound when the ends agree: 2 + 3 samples + ⌈log2 n⌉ × 0 transitions = 5)",
      "no transition among the 5 versions that gave a verdict (0.1.0: clean … 0.10.0: clean); nothing is claimed of the versions not tested",
      "not settled: 5 of 10 versions were not tested (a bug that came and went inside a stretch would not be seen):",
      "  0.2.0 between 0.1.0 (clean) and 0.3.0 (clean)",
      "  0.4.0 … 0.5.0 (2 versions) between 0.3.0 (clean) and 0.6.0 (clean)",
      "  0.7.0 between 0.6.0 (clean) and 0.8.0 (clean)",
      "  0.9.0 between 0.8.0 (clean) and 0.10.0 (clean)",
    ]);
  });

  it("states the monotone bound, widened for two untestable ends, and the commands for each side", async () => {
    const outcome = (v: string): Outcome =>
      v === "0.1.0" || v === "0.10.0" ? "install-failed" : versions.indexOf(v) < 6 ? "reproduced" : "clean";
    const lines = await summarize(outcome);
    expect(lines[1]).toMatch(/^\d+ cells run for 10 versions \(bound for a monotone history 4·⌈log2 n⌉\+4 = 20\)$/);
    expect(lines).toContain(
      "transition: affected → clean between 0.6.0 (reproduced: reproduced at 0.6.0) and 0.7.0 (clean: clean at 0.7.0)",
    );
    expect(lines).toContain(
      '  reproduce 0.7.0: repro-matrix run --config m.yaml --runtime local --set uvicorn=0.7.0 --only "py3.11~uvicorn0.7.0~gunicorn23.0.0~uvicorn.workers.UvicornWorker~preload~plain~w2"',
    );
  });

  it("says when --affected did not reproduce", async () => {
    const lines = await summarize(() => "clean", { start: 4, affected: "0.5.0" });
    expect(lines).toContain("--affected 0.5.0 did not reproduce here (clean: clean at 0.5.0); it counts as one more version tested");
    expect((await summarize((v) => (v === "0.5.0" ? "reproduced" : "clean"), { start: 4, affected: "0.5.0" })).join("\n")).not.toMatch(
      /did not reproduce/,
    );
  });
});
