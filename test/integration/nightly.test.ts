import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { type ResultsFile, readResultsFile, resultsJsonChunks, writeAtomic } from "../../harness/store/results-file.js";
import { BIN, CACHE_DIR, tempDir } from "../helpers/harness.js";
import { makeWheel } from "../helpers/local-wheel.js";

const today = new Date().toISOString().slice(0, 10);

/** A fix page for the test's package: only the fields a night rewrites, and a line of prose. */
const PAGE = `rmnightly: the error after a fork
Based on closed example/rmnightly issue #1
- First fixed release: 1.0
- Reproduced locally: No (not executed)
- Last verified: 2025-01-01
Version Compatibility Table
| Version | Status |
|---|---|
| 1.0 | Fixed |
Sources: none.
`;

/**
 * rmnightly is on no index but the test's own find-links folder, and the fixture app logs the
 * signature once it is 1.1 or later: a release that brings the bug back, published between nights.
 */
const SCENARIO = `scenario: it-nightly
page: ../pages/rmnightly.md
packages:
  uvicorn: 0.39.0
  gunicorn: 23.0.0
  rmnightly: all
index: { findLinks: [../dists] }
python:
  "3.11": { base: "debian:bookworm" }
onlyBinary: [uvloop]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 2
apps: [regresses-with-rmnightly]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
claim: { text: "first fixed release: 1.0", package: rmnightly, firstFixed: "1.0", when: { preload: true } }
`;

/** results.json as the harness reads it, whatever layout it is stored in. */
async function readResults(file: string): Promise<ResultsFile> {
  const r = await readResultsFile(file);
  if (!r) throw new Error(`${file}: no results`);
  return r;
}

/** Every file a night writes (reports, the catalog index, the page), by path, with its text. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const dir of ["reports", "pages"])
    for (const e of await readdir(join(root, dir), { recursive: true, withFileTypes: true }))
      if (e.isFile()) {
        const file = join(e.parentPath, e.name);
        out.set(relative(root, file), await readFile(file, "utf8"));
      }
  return out;
}

/** A catalog of the one scenario, its page, and rmnightly's find-links folder with these releases. */
async function night(versions: string[]) {
  const root = await tempDir("nightly");
  for (const d of ["dists", "scenarios", "pages"]) await mkdir(join(root, d));
  for (const v of versions) await makeWheel(join(root, "dists"), "rmnightly", v);
  await writeFile(join(root, "scenarios", "catalog.yaml"), "scenarios: [it-nightly.yaml]\npages: ../pages\n");
  await writeFile(join(root, "scenarios", "it-nightly.yaml"), SCENARIO);
  await writeFile(join(root, "pages", "rmnightly.md"), PAGE);
  const cli = (args: string[]) =>
    execa(
      "node",
      [BIN, "nightly", "--catalog", join(root, "scenarios", "catalog.yaml"), "--runtime", "docker", "--concurrency", "2", ...args],
      {
        reject: false,
        env: { REPRO_MATRIX_CACHE: CACHE_DIR },
      },
    );
  return { root, cli };
}

describe("two nights, then a third with nothing new, on real servers", () => {
  it("runs only the new and stale cells, and the table, verdict, page, summary and exit code follow the new release", async () => {
    const { root, cli } = await night(["1.0"]);
    const nightly = (n: number) => cli(["--out", join(root, "reports"), "--summary", join(root, `night-${n}.md`)]);
    const resultsFile = join(root, "reports", "it-nightly", "results.json");
    const results = () => readResults(resultsFile);
    const page = () => readFile(join(root, "pages", "rmnightly.md"), "utf8");

    // Night 1: only 1.0 exists, and it is clean: nothing for the claimed fix to have fixed.
    const first = await nightly(1);
    expect(first.exitCode, first.stderr).toBe(3);
    const one = await results();
    expect(one.cells.map((c) => [c.packages.rmnightly, c.preload, c.outcome]).sort(), one.cells[0]?.reason).toEqual([
      ["1.0", false, "clean"],
      ["1.0", true, "clean"],
    ]);
    expect(one.claim?.verdict?.status).toBe("not-reproduced");
    expect(await page()).toContain("| 1.0 | Fixed |\nSources");
    expect(await page()).toContain("- First fixed release: not reproduced (claimed 1.0)");
    const index = await readFile(join(root, "reports", "README.md"), "utf8");
    expect(index).toMatch(
      /\| \[it-nightly\]\(it-nightly\/README\.md\) \| first fixed release: 1\.0 \(rmnightly, preload=true\) \| \*\*not-reproduced\*\* \| \d{4}-\d\d-\d\d \| 0 of 2 \|/,
    );
    expect(await readFile(join(root, "reports", "index.html"), "utf8")).toContain('<a href="it-nightly/index.html">it-nightly</a>');

    // Between nights: rmnightly 1.1 is published, and the no-preload cell was last verified 40 days ago.
    await makeWheel(join(root, "dists"), "rmnightly", "1.1");
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const aged = one.cells.find((c) => !c.preload) as ResultsFile["cells"][number];
    const kept = one.cells.find((c) => c.preload) as ResultsFile["cells"][number];
    await writeAtomic(resultsFile, resultsJsonChunks({ ...one, cells: [{ ...aged, startedAt: old }, kept] }));

    // Night 2: the new release's cells and the stale one run; the fresh one is reused.
    const second = await nightly(2);
    expect(second.exitCode, second.stderr).toBe(3);
    const two = await results();
    expect(two.runs.at(-1)).toMatchObject({ cells: 4, cellsReused: 1, completed: true });
    const cell = (version: string, preload: boolean) => two.cells.find((c) => c.packages.rmnightly === version && c.preload === preload);
    expect(cell("1.0", true)?.startedAt).toBe(kept.startedAt);
    expect(cell("1.0", false)?.startedAt.slice(0, 10)).toBe(today);
    expect([cell("1.1", false)?.outcome, cell("1.1", true)?.outcome], cell("1.1", false)?.reason).toEqual(["reproduced", "reproduced"]);
    expect(two.claim?.verdict?.status).toBe("refuted");
    const paged = await page();
    expect(paged).toContain("| 1.0 | Fixed |\n| 1.1 | Affected |\nSources");
    expect(paged).toContain("- First fixed release: still affected in 1.1 (claimed 1.0)");
    expect(paged).toMatch(/- Reproduced locally: Yes \(\d{4}-\d\d-\d\d, uvicorn 0\.39\.0, gunicorn 23\.0\.0, rmnightly 1\.1, /);
    expect(paged).toContain(`- Last verified: ${today}`);
    for (const text of [second.stdout, await readFile(join(root, "night-2.md"), "utf8")]) {
      expect(text).toContain("new release: rmnightly 1.1");
      expect(text).toContain("new row: Python 3.11 · rmnightly 1.1: Affected");
      expect(text).toContain("verdict: not-reproduced → refuted");
      expect(text).toMatch(/cells: 3 run, 1 reused, 1 re-verified, 2 new of 4/);
    }
    expect(await readFile(join(root, "night-2.md"), "utf8")).toContain("| 1.1 | Affected |");
    expect(await readFile(join(root, "reports", "README.md"), "utf8")).toContain("**refuted**");

    // Night 3: nothing new, nothing stale. No file changes but for dates that moved (none, the same day).
    const before = await snapshot(root);
    const third = await nightly(3);
    expect(third.exitCode, third.stderr).toBe(0);
    expect(third.stdout).toContain("Nothing a reader would care about changed");
    expect(third.stdout).toMatch(/cells: 0 run, \d+ reused of 4/);
    const undated = (text: string) => text.replace(/\d{4}-\d\d-\d\d(T[\d:.]+Z)?/g, "<date>");
    const after = await snapshot(root);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [file, text] of after) expect(undated(text), file).toBe(undated(before.get(file) as string));
  }, 900_000);

  it("in CI, merges the shards that finished and names the cells of the one that did not, never dropping them", async () => {
    const { root, cli } = await night(["1.0", "1.1"]);
    // Two envs (rmnightly 1.0 and 1.1), one per shard. Shard 1 runs; shard 2's machine sends nothing.
    const shard = await cli(["--scenario", "it-nightly", "--shard", "1/2", "--out", join(root, "shards", "shard-it-nightly-1")]);
    expect(shard.exitCode, shard.stderr).toBe(0);
    expect(shard.stdout).toContain("Shard run of 1 scenario");
    const ran = await readResults(join(root, "shards", "shard-it-nightly-1", "it-nightly", "results.json"));
    expect(ran.cells).toHaveLength(2);
    // A shard writes no page and no index: the merge does, from every shard.
    expect(await readFile(join(root, "pages", "rmnightly.md"), "utf8")).toBe(PAGE);
    const merge = await cli([
      "--merge",
      join(root, "shards"),
      "--shards",
      "2",
      "--out",
      join(root, "reports"),
      "--summary",
      join(root, "night.md"),
    ]);
    expect(merge.exitCode, merge.stderr).toBe(3);
    const merged = await readResults(join(root, "reports", "it-nightly", "results.json"));
    expect(merged.cells.map((c) => c.packages.rmnightly)).toEqual([ran.cells[0]?.packages.rmnightly, ran.cells[1]?.packages.rmnightly]);
    const other = ran.cells[0]?.packages.rmnightly === "1.0" ? "1.1" : "1.0";
    const notRun = new RegExp(
      `not run: shard 2/2 did not finish: 2 cells not run tonight, 0 kept with their last verification; without any result: py3\\.11~uvicorn0\\.39\\.0~gunicorn23\\.0\\.0~rmnightly${other.replace(".", "\\.")}~`,
    );
    expect(merge.stdout).toMatch(notRun);
    expect(await readFile(join(root, "night.md"), "utf8")).toMatch(notRun);
    expect(await readFile(join(root, "reports", "README.md"), "utf8")).toContain("[it-nightly](it-nightly/README.md)");
  }, 900_000);

  it("refuses a wrong catalog in one line naming the file and field, exit 2, and writes nothing", async () => {
    const { root, cli } = await night([]);
    await writeFile(join(root, "scenarios", "stray.yaml"), SCENARIO.replace("it-nightly", "stray"));
    const out = join(root, "reports");
    const stray = await cli(["--out", out]);
    expect(stray.exitCode).toBe(2);
    expect(stray.stderr.trim()).toBe(
      `repro-matrix: ${join(root, "scenarios", "catalog.yaml")}: scenarios: ${join(root, "scenarios", "stray.yaml")} is not listed; add it (or move it out of ${join(root, "scenarios")}) so that a night runs it`,
    );
    const merge = await cli(["--merge", join(root, "shards"), "--out", out]);
    expect(merge.exitCode).toBe(2);
    expect(merge.stderr.trim().split("\n")).toHaveLength(1);
    expect(merge.stderr).toContain("--shards n is required");
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(root, "pages", "rmnightly.md"), "utf8")).toBe(PAGE);
  }, 60_000);
});
