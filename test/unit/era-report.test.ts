import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { claimCells, decisiveCells } from "../../harness/claims/compat.js";
import { claimVerdict } from "../../harness/claims/verdict.js";
import { renderHtml } from "../../harness/report/html.js";
import { medianEnvBuild, renderMarkdown } from "../../harness/report/markdown.js";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

const CLAIM = {
  text: "first fixed release: 0.11.4",
  package: "uvicorn",
  signature: "Event loop is closed",
  firstFixed: "0.11.4",
  when: { preload: true },
};
const results = (cells: CellRecord[], over: Partial<ResultsFile> = {}): ResultsFile => ({
  schemaVersion: 5,
  scenario: "demo",
  claim: CLAIM,
  harnessVersion: "0.1.0",
  lastVerified: "2026-12-04",
  cells,
  runs: [],
  ...over,
});
const cell = (uvicorn: string, python: string, outcome: CellRecord["outcome"], reason: string = outcome) =>
  record({ uvicorn, python, outcome, reason, pythonFull: `${python}.1` });

describe("under pythonPolicy: era", () => {
  // 0.2.2 could not be installed on its era Python (3.7) and ran on 3.8; 0.2.0 ran nowhere.
  const cells = [
    cell("0.2.0", "3.7", "install-failed", "cannot build uvicorn==0.2.0: FileNotFoundError: README.md"),
    cell("0.2.0", "3.8", "install-failed", "cannot build uvicorn==0.2.0: FileNotFoundError: README.md"),
    cell("0.2.2", "3.7", "boot-failure", "worker class failed to load: SyntaxError (/opt/venv/lib/python3.7/x.py)"),
    cell("0.2.2", "3.8", "reproduced", "signature in probe logs"),
    cell("0.4.3", "3.7", "reproduced", "signature in probe logs"),
    cell("0.4.4", "3.7", "other-failure", "48/48 probes failed"),
    cell("0.11.4", "3.8", "clean"),
  ];
  const era = results(cells, {
    pythonPolicy: "era",
    eraPython: { "0.2.0": "3.7", "0.2.2": "3.7", "0.4.3": "3.7", "0.4.4": "3.7", "0.11.4": "3.8" },
    notApplicable: [{ package: "gunicorn", version: "23.0.0", pythons: ["3.6"], reason: "Requires-Python >=3.7" }],
  });

  it("a release counts by the Pythons that tested it, not the ones that could not", () => {
    const kept = decisiveCells(cells, "uvicorn").map((c) => `${c.packages.uvicorn}@${c.python}`);
    expect(kept).toEqual(["0.2.0@3.7", "0.2.0@3.8", "0.2.2@3.8", "0.4.3@3.7", "0.4.4@3.7", "0.11.4@3.8"]);
    expect(claimCells(era)).toHaveLength(6);
    // Without era every cell counts as it always did.
    expect(claimCells({ ...era, pythonPolicy: "every" })).toHaveLength(7);
  });

  it("spans every release in one configuration, whatever Python each ran on", () => {
    const v = claimVerdict(era);
    expect(v?.configs.map((c) => c.label)).toEqual(["era Python · UvicornWorker · --preload · plain"]);
    expect(v?.configs[0]).toMatchObject({ lastAffected: "0.4.3", firstWithout: "0.4.4" });
    expect(v?.status).toBe("refuted");
  });

  it("names the configurations that fail differently by their era Python, not their first cell's", () => {
    const both = ["uvicorn.workers.UvicornWorker", "uvicorn.workers.UvicornH11Worker"].flatMap((workerClass) => [
      record({ uvicorn: "0.4.3", python: "3.7", workerClass, outcome: "reproduced", reason: "signature" }),
      record({ uvicorn: "0.4.4", python: "3.7", workerClass, outcome: "other-failure", reason: "different loop" }),
      record({ uvicorn: "0.11.4", python: "3.8", workerClass, outcome: "other-failure", reason: "different loop" }),
    ]);
    const sentence = claimVerdict(results(both, { pythonPolicy: "era", eraPython: era.eraPython }))?.sentence;
    expect(sentence).toContain("2 configurations (era Python · --preload · plain) fail differently");
    expect(sentence).not.toContain("Python 3.7");
  });

  it("tables each release with the Python that decided it and what was tried before", () => {
    const md = renderMarkdown(era);
    expect(md).toContain("| Version | Python | Status | Also tried |");
    expect(md).toContain("| 0.2.2 | 3.8 | Affected (1/1 cells reproduced) | 3.7: boot-failure |");
    expect(md).toContain("| 0.2.0 | 3.7, 3.8 | Not testable (2/2 cells install-failed) |  |");
  });

  it("says why a release could be tested nowhere, the same reason on several Pythons once", () => {
    const md = renderMarkdown(era);
    expect(md).toContain("## Not testable anywhere");
    expect(md).toContain(
      "- **0.2.0**: on Python 3.7, 3.8: install-failed: cannot build uvicorn==0.2.0: FileNotFoundError: README.md; not applicable on Python 3.6 (gunicorn 23.0.0: Requires-Python >=3.7)",
    );
    expect(md).not.toContain("- **0.2.2**");
  });

  it("says a failure once however many workers crashed before the cell gave up, in its normalized words", () => {
    const crash = (python: string, n: number) =>
      cell(
        "0.4.0",
        python,
        "boot-failure",
        `workers crash-looping (${n} tracebacks, ${n} worker starts for 8 workers): ModuleNotFoundError`,
      );
    const md = renderMarkdown(
      results([crash("3.7", 22), crash("3.8", 23), crash("3.8", 20)], { pythonPolicy: "era", eraPython: { "0.4.0": "3.7" } }),
    );
    expect(md).toContain(
      "- **0.4.0**: on Python 3.7, 3.8: boot-failure: workers crash-looping (N tracebacks, N worker starts for N workers): ModuleNotFoundError",
    );
  });

  it("draws the heatmap without a Python axis, each row naming its Python", () => {
    const html = renderHtml(era);
    expect(html).toContain('0.2.2 <span class="py">py3.8</span>');
    expect(html).not.toMatch(/<th[^>]*>Python 3\.7<\/th>/);
  });
});

describe("combinations that are not applicable", () => {
  const cells = [cell("0.39.0", "3.9", "other-failure"), cell("0.39.0", "3.11", "other-failure"), cell("0.54.0", "3.11", "other-failure")];
  const r = results(cells, {
    notApplicable: [{ package: "uvicorn", version: "0.54.0", pythons: ["3.9"], reason: "Requires-Python >=3.10" }],
  });

  it("show in the table apart from failures, and are listed once per release", () => {
    const md = renderMarkdown(r);
    expect(md).toContain(
      "| 0.54.0 | *Not applicable* (Requires-Python >=3.10) | Affected differently (1/1 cells failed otherwise, no signature) |",
    );
    expect(md).toContain("## Not applicable");
    expect(md).toContain("- uvicorn 0.54.0 on Python 3.9: Requires-Python >=3.10");
    // No cell, so no install-failed one in the grid either.
    expect(md).not.toContain("⚪ install-failed<br>");
  });

  it("get their own colour in the heatmap and a line in its legend", () => {
    const html = renderHtml(r);
    expect(html).toContain('<span class="cell na" title="not applicable: uvicorn 0.54.0: Requires-Python &gt;=3.10">n/a</span>');
    expect(html).toContain("not applicable: the release excludes that Python (1 release)");
  });
});

describe("the boundary on each release's era Python, beside each listed Python's", () => {
  // As in #85: 3.7 tests what 3.9 cannot install (0.5.2), so the boundaries differ.
  const cells = [
    cell("0.3.32", "3.7", "reproduced"),
    cell("0.3.32", "3.9", "reproduced"),
    cell("0.5.2", "3.7", "other-failure"),
    cell("0.5.2", "3.9", "install-failed"),
    cell("0.11.3", "3.7", "other-failure"),
    cell("0.11.3", "3.9", "other-failure"),
    cell("0.20.0", "3.9", "clean"),
    cell("0.20.0", "3.11", "clean"),
  ];
  const r = results(cells, { eraPython: { "0.3.32": "3.7", "0.5.2": "3.7", "0.11.3": "3.7", "0.20.0": "3.11" } });

  it("states it in the verdict, and whether each Python's differs", () => {
    const v = claimVerdict(r);
    expect(v?.sentence).toMatch(
      /\. On each release's era Python \(3\.7 for 0\.3\.32–0\.11\.3, 3\.11 for 0\.20\.0\), "Event loop is closed" last appears in 0\.3\.32 and is absent from 0\.5\.2; on Python 3\.7 it last appears in 0\.3\.32 and is absent from 0\.5\.2: the same boundary; on Python 3\.9 it last appears in 0\.3\.32 and is absent from 0\.11\.3 \(0\.5\.2 untestable between\): a different boundary\.$/,
    );
    expect(v?.eraConfigs?.map((c) => [c.label, c.lastAffected, c.firstWithout])).toEqual([
      ["era Python · UvicornWorker · --preload · plain", "0.3.32", "0.5.2"],
    ]);
  });

  it("lists the era configuration first among the per-configuration lines, and the era Python of each row", () => {
    const md = renderMarkdown(r);
    expect(md).toContain("- **era Python · UvicornWorker · --preload · plain**: last affected 0.3.32; first without the signature 0.5.2");
    expect(md).toContain("| Version | Era Python | Python 3.7 | Python 3.9 | Python 3.11 | Overall |");
    expect(md).toContain("| 0.5.2 | 3.7 | Affected differently");
  });

  it("says nothing of an era with a single Python", () => {
    const one = results(
      cells.filter((c) => c.python === "3.9"),
      { eraPython: { "0.3.32": "3.9" } },
    );
    expect(claimVerdict(one)?.sentence).not.toContain("era Python");
    expect(claimVerdict(one)?.eraConfigs).toBeUndefined();
  });
});

describe("env build times", () => {
  const run = (envBuilds: NonNullable<ResultsFile["runs"][number]["envBuilds"]>) => ({
    startedAt: "2026-12-04T10:00:00.000Z",
    wallMs: 60_000,
    cells: 4,
    imagesBuilt: envBuilds.length,
    imagesReused: 0,
    runtime: "docker",
    completed: true,
    envBuilds,
  });

  it("gives the median over the envs built without compiling an sdist, and says how many were left out", () => {
    const r = run([
      { env: "a", ms: 3000, ok: true },
      { env: "b", ms: 5000, ok: true },
      { env: "c", ms: 4000, ok: true },
      { env: "d", ms: 4400, ok: true },
      { env: "e", ms: 95_000, ok: true, compiled: true },
    ]);
    expect(medianEnvBuild(r)).toBe("4.2 s (1 compiling an sdist left out)");
    expect(medianEnvBuild(run([]))).toBe("");
  });

  it("shows in the report's runs", () => {
    const md = renderMarkdown(results([cell("0.11.4", "3.9", "clean")], { runs: [run([{ env: "a", ms: 2500, ok: true }])] }));
    expect(md).toContain("| Envs built | Median env build | Envs reused |");
    expect(md).toContain("| 1 | 2.5 s | 0 |");
  });
});
