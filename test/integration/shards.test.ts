import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";
import { readResults } from "../helpers/results.js";

const cli = (args: string[]) => execa("node", [BIN, ...args], { reject: false, env: { REPRO_MATRIX_CACHE: CACHE_DIR } });

const SCENARIO = itScenario(
  "it-shards",
  `packages:
  uvicorn: [0.20.0, 0.39.0]
  gunicorn: 23.0.0
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [true]
workers: 2
apps: [plain, prints-signature]
claim: { text: "first fixed release: 0.20.0", firstFixed: 0.20.0, when: { app: plain } }
`,
);

/** The part of a report that results decide (tables, claim, grid outcomes), not run history. */
const decided = (md: string) =>
  md
    .slice(md.indexOf("## Version Compatibility Table"), md.indexOf("## Environments"))
    // Probe counts vary from run to run; outcomes must not.
    .replace(/<sub>[^<]*<\/sub>/g, "");

describe("two shards merged", () => {
  it("give the report one unsharded run gives", async () => {
    const dir = await tempDir("shards");
    const config = await writeConfig(dir, SCENARIO);
    const whole = await cli(["run", "--runtime", "docker", "--config", config, "--out", join(dir, "whole")]);
    expect(whole.exitCode, whole.stderr).toBe(0);
    for (const i of [1, 2]) {
      const shard = await cli(["run", "--runtime", "docker", "--shard", `${i}/2`, "--config", config, "--out", join(dir, `shard-${i}`)]);
      expect(shard.exitCode, shard.stderr).toBe(0);
    }
    const one = await readResults(join(dir, "shard-1", "it-shards", "results.json"));
    const two = await readResults(join(dir, "shard-2", "it-shards", "results.json"));
    // Whole envs per shard: each shard ran one uvicorn version.
    expect(one.cells).toHaveLength(2);
    expect(two.cells).toHaveLength(2);
    expect(new Set(one.cells.map((c) => c.packages.uvicorn)).size).toBe(1);

    const merged = await cli(["merge", join(dir, "shard-1"), join(dir, "shard-2"), "--out", join(dir, "merged")]);
    expect(merged.exitCode, merged.stderr).toBe(0);
    const wholeMd = await readFile(join(dir, "whole", "it-shards", "README.md"), "utf8");
    const mergedMd = await readFile(join(dir, "merged", "it-shards", "README.md"), "utf8");
    expect(decided(mergedMd)).toBe(decided(wholeMd));
    expect(decided(wholeMd)).toContain("| 0.39.0 |");
    expect(mergedMd).toContain("shard 1/2");
  }, 600_000);
});
