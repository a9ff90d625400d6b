import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cellId } from "../../harness/cell/cell.js";
import type { CellRecord } from "../../harness/cell/record.js";
import { escapeHtml } from "../../harness/report/html-escape.js";
import { RUN_LABEL } from "../../harness/runtimes/docker/labels.js";
import { itScenario, runScenario, tempDir } from "../helpers/harness.js";
import { readResults } from "../helpers/results.js";

// Real engine, real PyPI packages, real HTTP. The fixtures decide the outcome, not uvicorn's
// history: a fixture that prints the signature, a plain app, a release that cannot be installed
// (uvicorn 0.2.0's sdist reads a README.md it does not ship), an app that cannot be imported. A
// release that excludes this Python (uvicorn 0.54.0 needs Python >= 3.10) is no cell at all.
const SCENARIO = itScenario(
  "it-outcomes",
  `packages:
  uvicorn: [0.2.0, 0.39.0, 0.54.0]
  gunicorn: 23.0.0
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 4
apps: [plain, prints-signature, fails-import]
`,
);

describe("a real run of four kinds of cell", () => {
  let out: string;
  let run: Awaited<ReturnType<typeof runScenario>>;
  const cell = (uvicorn: string, app: string) => run.records.find((r) => r.packages.uvicorn === uvicorn && r.app === app) as CellRecord;

  beforeAll(async () => {
    out = await tempDir("outcomes");
    run = await runScenario(SCENARIO, out);
  });

  it("plain app → clean, served by all 4 workers, with the installed packages as evidence", () => {
    const r = cell("0.39.0", "plain");
    expect(r.outcome, r.reason).toBe("clean");
    expect(r.evidence.pidsServed).toHaveLength(4);
    expect(r.evidence.statusCounts["200"]).toBe(r.evidence.requests);
    expect(r.evidence.packages).toContain("uvicorn==0.39.0");
    expect(r.evidence.packages).toContain("gunicorn==23.0.0");
    expect(r.pythonFull).toMatch(/^3\.9\./);
    // Where its time went, phase by phase, adding up to no more than the whole.
    expect(Object.keys(r.phasesMs ?? {}).sort()).toEqual(["boot", "probe", "start", "stop", "teardown"]);
    const spent = Object.values(r.phasesMs ?? {}).reduce((a, b) => a + b, 0);
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(r.durationMs + 5);
  });

  it("a fixture that prints the signature → reproduced, with the matched lines", () => {
    const r = cell("0.39.0", "prints-signature");
    expect(r.outcome).toBe("reproduced");
    expect(r.evidence.signatureMatches.length).toBeGreaterThan(0);
    expect(r.evidence.signatureMatches[0]).toMatchObject({ stream: "stderr", text: "RuntimeError: Event loop is closed" });
  });

  it("an app that fails to import → boot-failure, naming the error", () => {
    const r = cell("0.39.0", "fails-import");
    expect(r.outcome).toBe("boot-failure");
    expect(r.reason).toContain("ImportError: fixture fails_import");
    expect(r.evidence.exit?.exitCode).not.toBe(0);
  });

  it("a release that cannot be installed → install-failed for every app, with the resolver's reason", () => {
    const failed = run.records.filter((r) => r.packages.uvicorn === "0.2.0");
    expect(failed.map((r) => r.outcome)).toEqual(["install-failed", "install-failed", "install-failed"]);
    expect(failed[0]?.reason).toMatch(/uvicorn==0\.2\.0/);
    expect(failed[0]?.reason).toMatch(/README\.md/);
  });

  it("a release that excludes the Python is no cell and no failure: it is listed as not applicable", () => {
    expect(run.records.filter((r) => r.packages.uvicorn === "0.54.0")).toEqual([]);
    expect(run.results.notApplicable).toEqual([
      { package: "uvicorn", version: "0.54.0", pythons: ["3.9"], reason: "Requires-Python >=3.10" },
    ]);
  });

  it("numbers the finished cells 1 to 6 for the progress lines, each once (the three install failures land together)", () => {
    const done = run.events.flatMap((e) => (e.type === "cell-finished" ? [e.done] : []));
    expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("writes results.json and every report; the append log starts over once merged", async () => {
    const dir = join(out, "it-outcomes");
    // Each cell was appended as it finished (the kill -9 test reads them); results.json holds them now.
    expect(await readFile(join(dir, "results.jsonl"), "utf8")).toBe("");
    // Each report is rendered from these cells: every cell has its place in each, with its outcome.
    const html = await readFile(join(dir, "index.html"), "utf8");
    const junit = await readFile(join(dir, "junit.xml"), "utf8");
    for (const r of run.records) {
      expect(html).toContain(`data-cell-id="${escapeHtml(cellId(r))}" data-outcome="${r.outcome}"`);
      expect(junit).toContain(`name="${escapeHtml(cellId(r))}"`);
    }
    const tests = junit.match(/<testsuites [^>]*\btests="(\d+)"[^>]*\bfailures="(\d+)"/);
    expect(tests?.slice(1).map(Number)).toEqual([6, run.records.filter((r) => r.outcome === "reproduced").length]);
    const results = await readResults(join(dir, "results.json"));
    expect(results.cells).toHaveLength(6);
    for (const c of results.cells) {
      for (const field of [
        "packages.uvicorn",
        "packages.gunicorn",
        "python",
        "workerClass",
        "preload",
        "app",
        "workers",
        "outcome",
        "evidence",
        "startedAt",
        "durationMs",
      ]) {
        expect(c).toHaveProperty(field);
      }
    }
    const md = await readFile(join(dir, "README.md"), "utf8");
    expect(md).toContain("| 0.2.0 | Not testable (3/3 cells install-failed) |");
    expect(md).toContain("- uvicorn 0.54.0 on Python 3.9: Requires-Python >=3.10");
    // 0.39.0's row counts its three cells: one reproduced (the fixture that prints the signature).
    expect(md).toMatch(/\| 0\.39\.0 \| Affected \(1\/3 cells reproduced[^|]*\|/);
  });

  it("leaves no container of the run behind", async () => {
    const runId = run.events.find((e) => e.type === "run-started")?.runId;
    const left = await (run.docker as NonNullable<typeof run.docker>).listContainers({
      all: true,
      filters: { label: [`${RUN_LABEL}=${runId}`] },
    });
    expect(left).toEqual([]);
  });

  it("a second run rebuilds no image, starts no server for an unchanged cell, and says so", async () => {
    const again = await runScenario(SCENARIO, out, { only: "app=plain" });
    // What the run did is in its run-finished event; results.json lists only runs that verified cells.
    const finished = again.events.find((e) => e.type === "run-finished");
    const info = finished?.type === "run-finished" ? finished.info : undefined;
    expect(info?.imagesBuilt).toBe(0);
    expect(info?.imagesReused).toBe(1); // 0.2.0 has no image to reuse
    // Same image, command, fixture, probes and harness: the recorded result stands; so does the
    // recorded install failure, the same as before.
    expect(info?.cellsReused).toBe(2);
    expect(again.events.filter((e) => e.type === "cell-started")).toEqual([]);
    const plain = again.records.find((r) => r.packages.uvicorn === "0.39.0");
    expect(plain).toEqual(cell("0.39.0", "plain"));
    // The filtered run replaced its own cells (with themselves: the install failure is the one
    // recorded) and kept the others; it verified nothing anew, so it adds no run.
    expect(again.results.cells).toHaveLength(6);
    expect(again.results.runs).toHaveLength(1);
  });

  it("--force runs the cell again", async () => {
    const forced = await runScenario(SCENARIO, out, { only: "app=plain,uvicorn=0.39.0", force: true });
    expect(forced.results.runs.at(-1)?.cellsReused).toBe(0);
    expect(forced.events.filter((e) => e.type === "cell-started")).toHaveLength(1);
    expect(forced.records[0]?.startedAt).not.toBe(cell("0.39.0", "plain").startedAt);
    expect(forced.records[0]?.cacheKey).toBe(cell("0.39.0", "plain").cacheKey);
  });
});
