import { describe, expect, it } from "vitest";
import { parseShard, shardCells } from "../../harness/plan/shard.js";
import { mergeResults } from "../../harness/store/merge.js";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

describe("shards", () => {
  it("reads i/n and refuses anything else with the fix", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    for (const bad of ["0/4", "5/4", "2", "a/b", "1/0"])
      expect(() => parseShard(bad)).toThrow(/^--shard: ".*" is not i\/n with 1 <= i <= n/);
  });

  it("deals whole envs out so the shards are disjoint, complete and the same on every machine", () => {
    const cells = Array.from({ length: 60 }, (_, i) => ({ env: `env-${i % 7}`, n: i }));
    for (const count of [1, 2, 3, 7, 9]) {
      const parts = Array.from({ length: count }, (_, i) => shardCells(cells, (c) => c.env, { index: i + 1, count }));
      expect(
        parts
          .flat()
          .map((c) => c.n)
          .sort((a, b) => a - b),
      ).toEqual(cells.map((c) => c.n));
      for (const [i, part] of parts.entries())
        for (const [j, other] of parts.entries()) if (i !== j) expect(part.some((c) => other.some((o) => o.env === c.env))).toBe(false);
      expect(
        shardCells([...cells].reverse(), (c) => c.env, { index: 1, count })
          .map((c) => c.n)
          .sort(),
      ).toEqual(parts[0]?.map((c) => c.n).sort());
    }
  });
});

describe("merging shard results", () => {
  const results = (over: Partial<ResultsFile>): ResultsFile => ({
    schemaVersion: 2,
    scenario: "demo",
    harnessVersion: "0.1.0",
    lastVerified: "2026-11-24",
    cells: [],
    runs: [],
    ...over,
  });
  const run = (startedAt: string, shard: string) => ({
    startedAt,
    wallMs: 1,
    cells: 1,
    imagesBuilt: 0,
    imagesReused: 0,
    runtime: "docker",
    shard,
    completed: true,
  });

  it("keeps every cell of every shard, every run in time order, and the newest verification date", () => {
    const a = results({ cells: [record({ uvicorn: "0.11.3" })], runs: [run("2026-11-25T02:00:00Z", "2/2")], lastVerified: "2026-11-25" });
    const b = results({ cells: [record({ uvicorn: "0.11.4" })], runs: [run("2026-11-25T01:00:00Z", "1/2")] });
    const merged = mergeResults([
      { file: "a", results: a },
      { file: "b", results: b },
    ]);
    expect(merged.cells.map((c) => c.packages.uvicorn).sort()).toEqual(["0.11.3", "0.11.4"]);
    expect(merged.runs.map((r) => r.shard)).toEqual(["1/2", "2/2"]);
    expect(merged.lastVerified).toBe("2026-11-25");
  });

  it("takes the newest verification of a cell that several shards carry, and lists a shared run once", () => {
    const shared = run("2026-11-24T01:00:00Z", "1/1");
    const fresh = record({ uvicorn: "0.11.3", outcome: "reproduced", startedAt: "2026-11-25T03:00:00Z" });
    const stale = record({ uvicorn: "0.11.3", outcome: "clean", startedAt: "2026-11-24T01:00:00Z" });
    // The shard that re-ran the cell finished first; the other only carried the old result.
    const ranIt = results({ cells: [fresh], runs: [shared, run("2026-11-25T03:00:00Z", "1/2")] });
    const carried = results({ cells: [stale], runs: [shared, run("2026-11-25T04:00:00Z", "2/2")] });
    const merged = mergeResults([
      { file: "a", results: ranIt },
      { file: "b", results: carried },
    ]);
    expect(merged.cells.map((c) => c.outcome)).toEqual(["reproduced"]);
    expect(merged.runs.map((r) => r.shard)).toEqual(["1/1", "1/2", "2/2"]);
  });

  it("refuses to merge two scenarios", () => {
    expect(() =>
      mergeResults([
        { file: "a/results.json", results: results({}) },
        { file: "b/results.json", results: results({ scenario: "other" }) },
      ]),
    ).toThrow('merge: b/results.json is scenario "other", a/results.json is "demo"');
  });
});
