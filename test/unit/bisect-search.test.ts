import { describe, expect, it } from "vitest";
import { type BisectOptions, type BisectResult, bisect, formatTrail, type Verdict } from "../../harness/bisect/search.js";

// Versions are their own indices, so a transition reads as plain numbers.
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const bound = (n: number): number => 2 * Math.ceil(Math.log2(n)) + 4;
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
  // Whatever the case: every test shows up in the trail, and only a confirm ever repeats a version.
  expect(r.tested).toBe([...calls.values()].reduce((x, y) => x + y, 0));
  expect(r.steps).toHaveLength(r.tested);
  const firsts = r.steps.filter((st) => st.why !== "confirm").map((st) => st.index);
  expect(new Set(firsts).size).toBe(firsts.length);
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

  it("reports nothing, after two tests, when the ends agree", async () => {
    for (const v of ["clean", "affected"] as const) {
      const r = await run(30, () => v);
      expect(r).toMatchObject({ transitions: [], tested: 2, widened: false });
    }
  });

  it("takes agreeing ends at their word, even over a bug that came and went (the documented assumption)", async () => {
    const r = await run(30, (i) => (i >= 10 && i < 20 ? "affected" : "clean"));
    expect(r).toMatchObject({ transitions: [], tested: 2 });
  });

  it("tests nothing with fewer than two versions", async () => {
    expect((await run(0, () => "clean")).tested).toBe(0);
    expect((await run(1, () => "clean")).tested).toBe(0);
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

  it("moves untestable endpoints inward", async () => {
    const r = await run(20, (i) => (i <= 1 || i === 19 ? "untestable" : fixedAt(12)(i)));
    expect(r.steps.slice(0, 4).map((st) => [st.index, st.why])).toEqual([
      [0, "endpoint"],
      [19, "endpoint"],
      [1, "skip-neighbour"],
      [2, "skip-neighbour"],
    ]);
    expect(r.steps[4]).toMatchObject({ index: 18, why: "skip-neighbour" });
    expect(r.transitions).toMatchObject([{ lastBefore: 11, firstAfter: 12, untestableBetween: [] }]);
  });

  it("finds the boundary between the nearest testable versions, whatever is untestable", async () => {
    // A small deterministic generator, so a failure names a case that can be replayed.
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
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
      expect(r.transitions, `n=${n} at=${at} dead=${[...dead]}`).toEqual(expected);
      expect(r.widened).toBe(false);
    }
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

  it("misses a comeback without cross-checks: plain bisection cannot see one", async () => {
    const r = await run(16, comeback);
    expect(r.widened).toBe(false);
    expect(r.transitions).toMatchObject([{ lastBefore: 9, firstAfter: 10 }]);
  });

  it("finds a comeback with cross-checks, widens, and reports every transition", async () => {
    const r = await run(16, comeback, { crossCheck: true });
    expect(r.widened).toBe(true);
    expect(r.steps.some((st) => st.why === "check" && st.index === 3)).toBe(true);
    expect(r.steps.some((st) => st.why === "scan")).toBe(true);
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
    // Version 19 is affected on its first run and clean on the re-test; 18 was never bisected, so it is scanned.
    const r = await run(30, (i, call) => (i === 19 && call === 1 ? "clean" : fixedAt(20)(i)));
    expect(r.widened).toBe(true);
    expect(r.steps.filter((st) => st.why === "confirm").map((st) => [st.index, st.verdict])).toEqual([
      [19, "clean"],
      [20, "clean"],
    ]);
    expect(r.steps.filter((st) => st.why === "scan").map((st) => st.index)).toEqual([18]);
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
