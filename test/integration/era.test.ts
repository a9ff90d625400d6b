import { cp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readResultsFile } from "../../harness/store/results-file.js";
import { runScenario, tempDir } from "../helpers/harness.js";

// uvicorn 0.2.2 (2018-06-29) came two days after Python 3.7.0, so 3.7 is its era Python; but the
// uvloop of its day has no wheel for 3.7 and does not compile there, so it is tried on 3.6,
// where it runs (gunicorn 19.9 still allows 3.6). uvicorn 0.40.0 requires Python >= 3.10: on
// these two Pythons it is not applicable, so it has no cell at all.
const ERA = `scenario: it-era
packages:
  uvicorn: [0.2.2, 0.40.0]
  gunicorn: 19.9.0
python:
  "3.6": { base: pyenv }
  "3.7": { base: pyenv }
pythonPolicy: era
constraints: ["pip<24.1"]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [plain]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
claim: { text: "first fixed release: 0.40.0", firstFixed: 0.40.0, when: { preload: false } }
`;

describe("pythonPolicy: era on the real engine and index", () => {
  let out: string;
  let first: Awaited<ReturnType<typeof runScenario>>;

  beforeAll(async () => {
    out = await tempDir("era");
    first = await runScenario(ERA, out, { runtime: "docker" });
  }, 900_000);

  it("runs a release on its era Python, then on the next it allows when no cell could be tested there", () => {
    const cells = first.records.map((r) => `${r.packages.uvicorn}@${r.python} ${r.outcome}`);
    expect(cells).toEqual(["0.2.2@3.7 install-failed", "0.2.2@3.6 clean"]);
    expect(first.records[1]?.pythonFull).toMatch(/^3\.6\./);
  });

  it("records the era, and the combinations that are not applicable instead of cells", async () => {
    const results = await readResultsFile(join(out, "it-era", "results.json"));
    expect(results?.pythonPolicy).toBe("era");
    expect(results?.eraPython).toEqual({ "0.2.2": "3.7" });
    expect(results?.notApplicable).toEqual([
      { package: "uvicorn", version: "0.40.0", pythons: ["3.6", "3.7"], reason: "Requires-Python >=3.10" },
    ]);
    expect(results?.cells.some((c) => c.packages.uvicorn === "0.40.0")).toBe(false);
  });

  it("reports the release by the Python that tested it, and what was tried before", async () => {
    const md = await readFile(join(out, "it-era", "README.md"), "utf8");
    expect(md).toContain("| 0.2.2 | 3.6 | Fixed (1/1 cells clean) | 3.7: install-failed |");
    expect(md).toContain("- uvicorn 0.40.0 on Python 3.6, 3.7: Requires-Python >=3.10");
  });

  it("keeps the recorded cells of a listed Python this machine lacks: out of its reach, not out of the scenario", async () => {
    const dir = await tempDir("era-unavailable");
    await cp(join(out, "it-era"), join(dir, "it-era"), { recursive: true });
    const without36 = ERA.replace('"3.6": { base: pyenv }', '"3.6": { base: "host:/nonexistent/python-3.6" }');
    const run = await runScenario(without36, dir, { runtime: "docker" });
    const note = run.events.find((e) => e.type === "run-started");
    expect(note?.type === "run-started" && note.note).toMatch(/no release runs on Python 3\.6 \(no Python 3\.6 base/);
    expect(run.results.cells.map((c) => `${c.packages.uvicorn}@${c.python} ${c.outcome}`).sort()).toEqual([
      "0.2.2@3.6 clean",
      "0.2.2@3.7 install-failed",
    ]);
  }, 300_000);

  it("runs nothing again when nothing changed, the fallback cell included", async () => {
    const again = await runScenario(ERA, out, { runtime: "docker" });
    expect(again.events.filter((e) => e.type === "cell-started")).toHaveLength(0);
    expect(again.records.map((r) => `${r.packages.uvicorn}@${r.python}`)).toEqual(["0.2.2@3.7", "0.2.2@3.6"]);
  }, 300_000);

  it("moves a release on to its next Python as soon as its own cells are known, ahead of the first pass's other cells", async () => {
    // 0.2.2's env on 3.6 is built (above) and it fails on 3.7 at once; 0.8.0 has four cells on
    // 3.7, two at a time, each probing for some 4 s (24 answers of 0.3 s, two at a time). Once a
    // pass had to end before the next began, all four ran before 0.2.2 was tried on 3.6, and its
    // install failures waited for a turn behind them too; now its cells go ahead of 0.8.0's last two.
    const scenario = ERA.replace("uvicorn: [0.2.2, 0.40.0]", "uvicorn: [0.2.2, 0.8.0]")
      .replace("scenario: it-era", "scenario: it-era-eager")
      .replace("preload: [false]", "preload: [false, true]")
      .replace(
        "workerClasses: [uvicorn.workers.UvicornWorker]",
        "workerClasses: [uvicorn.workers.UvicornWorker, uvicorn.workers.UvicornH11Worker]",
      )
      .replace("apps: [plain]", "apps: [slow]")
      .replace("probes: { count: 8, concurrency: 2, coverageSeconds: 10 }", "probes: { count: 24, concurrency: 2, coverageSeconds: 10 }")
      .replace(/^claim:.*$/m, "");
    const run = await runScenario(scenario, await tempDir("era-eager"), { runtime: "docker", concurrency: 2 });
    const started = run.events.flatMap((e) => (e.type === "cell-started" ? [`${e.cell.packages.uvicorn}@${e.cell.python}`] : []));
    expect(
      started.filter((c) => c === "0.8.0@3.7"),
      started.join(", "),
    ).toHaveLength(4);
    expect(
      started.filter((c) => c === "0.2.2@3.6"),
      started.join(", "),
    ).toHaveLength(4);
    expect(started.indexOf("0.2.2@3.6"), started.join(", ")).toBeLessThan(started.lastIndexOf("0.8.0@3.7"));
    expect(run.records.filter((r) => r.packages.uvicorn === "0.8.0").map((r) => r.outcome)).toEqual(Array(4).fill("clean"));
  }, 600_000);
});

describe("not applicable, with every listed Python", () => {
  it("makes no cell of a release on a Python it excludes, and lists it once", async () => {
    const out = await tempDir("not-applicable");
    const scenario = `scenario: it-not-applicable
packages:
  uvicorn: [0.39.0, 0.40.0]
  gunicorn: 23.0.0
python:
  "3.9": { base: "debian:bullseye" }
onlyBinary: [uvloop]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [plain]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
`;
    const { records, results } = await runScenario(scenario, out, { runtime: "docker" });
    expect(records.map((r) => `${r.packages.uvicorn}@${r.python} ${r.outcome}`)).toEqual(["0.39.0@3.9 clean"]);
    expect(results.notApplicable).toEqual([{ package: "uvicorn", version: "0.40.0", pythons: ["3.9"], reason: "Requires-Python >=3.10" }]);
    expect(results.eraPython).toEqual({ "0.39.0": "3.9" });
  }, 600_000);
});
