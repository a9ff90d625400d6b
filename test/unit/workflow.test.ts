import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

// The workflow cannot run here (no GitHub runner); this checks that its shards and its merge
// agree with each other and with the CLI, which is where such files usually break.
describe("the nightly workflow", () => {
  it("runs every shard i/N of one N on a schedule and on demand, then merges them all", async () => {
    const wf = parse(await readFile(".github/workflows/nightly.yml", "utf8"));
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const shards: number[] = wf.jobs.shard.strategy.matrix.shard;
    const run = wf.jobs.shard.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
    const n = Number(/--shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(run)?.[1]);
    expect(shards).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(wf.jobs.merge.needs).toBe("shard");
    expect(wf.jobs.merge.steps.map((s: { run?: string }) => s.run ?? "").join("\n")).toContain("repro-matrix.js merge shards/shard-*");
  });
});
