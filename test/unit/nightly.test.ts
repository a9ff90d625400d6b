import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { ConfigError } from "../../harness/core/errors.js";
import { loadCatalog } from "../../harness/nightly/catalog.js";
import { writeCatalogIndex } from "../../harness/nightly/catalog-index.js";
import { mergeShards, writeShardMarker } from "../../harness/nightly/merge-night.js";
import { changed, diffNight } from "../../harness/nightly/night-diff.js";
import { runNightly } from "../../harness/nightly/run-night.js";
import { renderNightMarkdown, renderNightText } from "../../harness/nightly/summary.js";
import type { NightSummary } from "../../harness/nightly/types.js";
import { writeReports } from "../../harness/report/write-reports.js";
import { RESULTS_SCHEMA_VERSION, type ResultsFile, readResultsFile } from "../../harness/store/results-file.js";
import { tempDir } from "../helpers/harness.js";
import { type RecordOverrides, record } from "../helpers/records.js";
import { MINIMAL } from "../helpers/scenarios.js";

const PAGE = `Based on closed Kludex/uvicorn issue #1
- First fixed release: 0.11.4
Version Compatibility Table
| Version | Status |
|---|---|
| 0.11.4 | Fixed |
`;

/** A catalog folder: scenarios/catalog.yaml and the given files, relative to the root. */
async function catalogDir(files: Record<string, string>): Promise<string> {
  const root = await tempDir("catalog");
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const refusal = async (root: string) => {
  const err = await loadCatalog(join(root, "scenarios", "catalog.yaml")).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  const message = (err as Error).message;
  expect(message).not.toContain("\n");
  return message.replaceAll(`${root}/`, "");
};

describe("the catalog", () => {
  it("is every scenario of the project, each with the page it keeps current", async () => {
    const catalog = await loadCatalog("scenarios/catalog.yaml");
    expect(catalog.entries.map((e) => [e.file, e.scenario.scenario, e.page])).toEqual([
      ["matrix.yaml", "uvicorn-85-preload", undefined],
      ["scenarios/full-sweep.yaml", "full-sweep", "pages/uvicorn-85.md"],
      ["scenarios/boot-profile.yaml", "boot-profile", undefined],
      ["scenarios/uvicorn-1559-usr1.yaml", "uvicorn-1559-usr1", undefined],
      ["scenarios/uvicorn-1269-hup.yaml", "uvicorn-1269-hup", undefined],
      ["scenarios/uvicorn-426-max-requests.yaml", "uvicorn-426-max-requests", undefined],
    ]);
    expect(catalog.pagesDir).toBe("pages");
  });

  it("loads one listed scenario with its page, resolved from the scenario's folder", async () => {
    const root = await catalogDir({
      "scenarios/catalog.yaml": "scenarios: [a.yaml]\npages: ../pages\n",
      "scenarios/a.yaml": `${MINIMAL}page: ../pages/a.md\n`,
      "pages/a.md": PAGE,
    });
    const catalog = await loadCatalog(join(root, "scenarios", "catalog.yaml"));
    expect(catalog.entries.map((e) => [e.file, e.page])).toEqual([[join(root, "scenarios/a.yaml"), join(root, "pages/a.md")]]);
  });

  const cases: [string, Record<string, string>, string][] = [
    [
      "a scenario file beside the catalog that it does not list",
      { "scenarios/catalog.yaml": "scenarios: [a.yaml]\n", "scenarios/a.yaml": MINIMAL, "scenarios/b.yml": MINIMAL },
      "scenarios/catalog.yaml: scenarios: scenarios/b.yml is not listed; add it (or move it out of scenarios) so that a night runs it",
    ],
    [
      "two files of one scenario",
      { "scenarios/catalog.yaml": "scenarios: [a.yaml, b.yaml]\n", "scenarios/a.yaml": MINIMAL, "scenarios/b.yaml": MINIMAL },
      'scenarios/catalog.yaml: scenarios.1: scenarios/b.yaml is scenario "demo", as scenarios/a.yaml is; each needs its own reports/<scenario>/ folder',
    ],
    [
      "a page outside the pages folder",
      {
        "scenarios/catalog.yaml": "scenarios: [a.yaml]\npages: ../pages\n",
        "scenarios/a.yaml": `${MINIMAL}page: ../../etc/passwd\n`,
        "pages/x.md": PAGE,
      },
      "scenarios/a.yaml: page: ",
    ],
    [
      "a page two scenarios keep",
      {
        "scenarios/catalog.yaml": "scenarios: [a.yaml, b.yaml]\npages: ../pages\n",
        "scenarios/a.yaml": `${MINIMAL}page: ../pages/a.md\n`,
        "scenarios/b.yaml": `${MINIMAL.replace("scenario: demo", "scenario: other")}page: ../pages/a.md\n`,
        "pages/a.md": PAGE,
      },
      "scenarios/b.yaml: page: pages/a.md is kept current by scenarios/a.yaml already; a page follows one scenario",
    ],
    [
      "a page no scenario keeps",
      { "scenarios/catalog.yaml": "scenarios: [a.yaml]\npages: ../pages\n", "scenarios/a.yaml": MINIMAL, "pages/lost.md": PAGE },
      "scenarios/catalog.yaml: pages: pages/lost.md is kept current by no scenario; name it in one scenario's page: field",
    ],
    [
      "a page without a table to keep",
      {
        "scenarios/catalog.yaml": "scenarios: [a.yaml]\npages: ../pages\n",
        "scenarios/a.yaml": `${MINIMAL}page: ../pages/a.md\n`,
        "pages/a.md": "First fixed release: 0.11.4\n",
      },
      'pages/a.md: no "Version Compatibility Table" heading; the page needs a "Version Compatibility Table" heading followed by a "| Version | Status |" table',
    ],
    [
      "a page that is missing",
      {
        "scenarios/catalog.yaml": "scenarios: [a.yaml]\npages: ../pages\n",
        "scenarios/a.yaml": `${MINIMAL}page: ../pages/a.md\n`,
        "pages/.keep": "",
      },
      "pages/a.md: cannot read (ENOENT); a scenario's page: names a fix page",
    ],
    [
      "a misspelt field",
      { "scenarios/catalog.yaml": "scenarios: [a.yaml]\npage: ../pages\n", "scenarios/a.yaml": MINIMAL },
      "scenarios/catalog.yaml:2: page: unknown field; did you mean pages?",
    ],
    [
      "an empty list",
      { "scenarios/catalog.yaml": "scenarios: []\n" },
      "scenarios/catalog.yaml:1: scenarios: an empty list: a catalog lists at least one scenario file",
    ],
    [
      "a listed file with a bad field",
      { "scenarios/catalog.yaml": "scenarios: [a.yaml]\n", "scenarios/a.yaml": `${MINIMAL}workerz: 4\n` },
      "scenarios/a.yaml:10: workerz: unknown field (allowed fields are listed in the README)",
    ],
    [
      "a YAML bomb",
      { "scenarios/catalog.yaml": `a: &a [x, x, x, x, x, x, x, x, x, x]\n${bomb()}` },
      "scenarios/catalog.yaml: (top level): ",
    ],
  ];
  for (const [what, files, message] of cases)
    it(`refuses ${what}, in one line naming the file and field`, async () => {
      const root = await catalogDir(files);
      const got = await refusal(root);
      expect(got.startsWith(message), got).toBe(true);
    });
});

/** Aliases that expand to 10^6 values: refused unexpanded. */
function bomb(): string {
  const lines = ["b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]"];
  for (const [name, prev] of [
    ["c", "b"],
    ["d", "c"],
    ["e", "d"],
    ["f", "e"],
  ])
    lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
  return `${lines.join("\n")}\n`;
}

const results = (cells: CellRecord[], over: Partial<ResultsFile> = {}): ResultsFile => ({
  schemaVersion: RESULTS_SCHEMA_VERSION,
  scenario: "demo",
  claim: {
    text: "first fixed release: 0.11.4",
    package: "uvicorn",
    signature: "RuntimeError: Event loop is closed",
    firstFixed: "0.11.4",
    when: { preload: true },
  },
  harnessVersion: "0.1.0",
  lastVerified:
    cells
      .map((c) => c.startedAt.slice(0, 10))
      .sort()
      .at(-1) ?? "2026-11-25",
  cells,
  runs: [],
  ...over,
});
const run = (startedAt: string, cells: number, cellsReused: number, shard?: string) => ({
  startedAt,
  wallMs: 1000,
  cells,
  cellsReused,
  imagesBuilt: 0,
  imagesReused: 1,
  runtime: "docker",
  ...(shard ? { shard } : {}),
  completed: true,
});
const signature = { n: 3, stream: "stderr" as const, phase: "probe" as const, text: "RuntimeError: Event loop is closed" };
const reproduced = (over: RecordOverrides) =>
  record({ outcome: "reproduced", ...over, evidence: { ...record().evidence, signatureMatches: [signature] } });
const failed = (over: RecordOverrides, text: string) =>
  record({
    outcome: "other-failure",
    ...over,
    evidence: { ...record().evidence, tracebacks: 1, firstOtherTraceback: ["Traceback", text] },
  });

const NIGHT1 = "2026-11-25T10:00:00.000Z";
const NIGHT2 = "2026-12-04T03:20:00.000Z";
const before = results([reproduced({ uvicorn: "0.11.3" }), record({ uvicorn: "0.11.4" })], { runs: [run(NIGHT1, 2, 0)] });
/** The night a new release appeared and brought the signature back, and 0.11.4 was verified again. */
const after = results(
  [
    reproduced({ uvicorn: "0.11.3" }),
    record({ uvicorn: "0.11.4", startedAt: NIGHT2 }),
    reproduced({ uvicorn: "0.12.0", startedAt: NIGHT2 }),
    failed({ uvicorn: "0.12.0", python: "3.11", startedAt: NIGHT2 }, "ValueError: bad frame 0x7f3a"),
  ],
  { runs: [run(NIGHT1, 2, 0), run(NIGHT2, 4, 1)] },
);
const where = { file: "scenarios/demo.yaml", reportDir: "reports/demo" };

describe("what a night changed", () => {
  it("names the new release, its rows, the new failure, the verdict and the dates that moved", () => {
    const night = diffNight(before, after, where);
    expect(night.newReleases).toEqual([{ package: "uvicorn", versions: ["0.12.0"] }]);
    expect(night.rows).toEqual([
      { python: "3.9", version: "0.12.0", after: "Affected" },
      { python: "3.11", version: "0.12.0", after: "Affected differently" },
    ]);
    expect(night.newFingerprints).toEqual([{ fingerprint: "ValueError: bad frame 0x…", cells: 1 }]);
    expect(night.verdict.before?.status).toBe("confirmed");
    expect(night.verdict.after?.status).toBe("refuted");
    expect(night.lastVerified).toEqual({ before: "2026-11-25", after: "2026-12-04" });
    expect(night.claimVerified).toEqual({ before: "2026-11-25", after: "2026-11-25" });
    expect(night.cells).toEqual({ total: 4, ran: 3, reused: 1, reverified: 1, added: 2, removed: 0, stale: 0 });
    expect(changed(night)).toBe(true);
  });

  it("is nothing a reader would care about when only dates moved", () => {
    const later = results(
      before.cells.map((c) => ({ ...c, startedAt: NIGHT2 })),
      { runs: [...before.runs, run(NIGHT2, 2, 0)] },
    );
    const night = diffNight(before, later, where);
    expect(night.rows).toEqual([]);
    expect(night.newFingerprints).toEqual([]);
    expect(night.cells.reverified).toBe(2);
    expect(night.claimVerified).toEqual({ before: "2026-11-25", after: "2026-12-04" });
    expect(changed(night)).toBe(false);
    // A table's package is the claim's, whatever it is: nothing assumes uvicorn.
    const other = { ...later, claim: { ...(later.claim as NonNullable<ResultsFile["claim"]>), package: "gunicorn" } };
    expect(diffNight(undefined, other, where).rows).toEqual([{ python: "3.9", version: "23.0.0", after: "Affected" }]);
  });

  it("is a change when a row appears, even with the verdict unchanged", () => {
    const later = results([...before.cells, record({ uvicorn: "0.11.5", startedAt: NIGHT2 })], {
      runs: [...before.runs, run(NIGHT2, 3, 2)],
    });
    const night = diffNight(before, later, where);
    expect(night.verdict.after?.status).toBe(night.verdict.before?.status);
    expect(night.rows).toEqual([{ python: "3.9", version: "0.11.5", after: "Fixed" }]);
    expect(changed(night)).toBe(true);
  });

  it("is a change when shards did not finish, even with the table unchanged", () => {
    const night = diffNight(before, before, where);
    expect(changed(night)).toBe(false);
    expect(changed({ ...night, notRun: { shards: ["2/4"], cells: 3, carried: 3, missing: [] } })).toBe(true);
  });

  it("reads as exact markdown and text", () => {
    const night = diffNight(before, after, where);
    const summary: NightSummary = {
      date: "2026-12-04",
      mode: "local",
      changed: true,
      scenarios: [
        {
          ...night,
          notRun: {
            shards: ["2/2"],
            cells: 2,
            carried: 1,
            missing: ["py3.9~uvicorn0.12.1~gunicorn23.0.0~uvicorn.workers.UvicornWorker~preload~plain~w8"],
          },
          page: {
            file: "pages/demo.md",
            changes: [
              { field: "First fixed release", before: "0.11.4", after: "still affected in 0.12.0 (claimed 0.11.4)", line: 2 },
              {
                field: "Version Compatibility Table",
                before: "0.11.4 Fixed",
                after: "0.11.3 Affected, 0.11.4 Fixed, 0.12.0 Affected",
                line: 6,
              },
            ],
          },
        },
      ],
    };
    const sentence = night.verdict.after?.sentence as string;
    expect(renderNightMarkdown(summary)).toBe(`# Nightly run, 2026-12-04

Changed: demo (1 of 1 scenario).

| Scenario | Verdict | Claim last verified | Cells run · reused | Stale cells | Changes |
| --- | --- | --- | --- | --- | --- |
| [demo](reports/demo/README.md) | confirmed → **refuted** | 2026-11-25 | 3 · 1 | 0 | 6 |

## demo

**Verdict: refuted.** ${sentence}

- verdict: confirmed → refuted: ${sentence}
- new release: uvicorn 0.12.0
- new row: Python 3.9 · uvicorn 0.12.0: Affected
- new row: Python 3.11 · uvicorn 0.12.0: Affected differently
- new failure: ValueError: bad frame 0x… (1 cell)
- not run: shard 2/2 did not finish: 2 cells not run tonight, 1 kept with their last verification; without any result: py3.9~uvicorn0.12.1~gunicorn23.0.0~uvicorn.workers.UvicornWorker~preload~plain~w8
- page pages/demo.md: First fixed release: 0.11.4 → still affected in 0.12.0 (claimed 0.11.4); Version Compatibility Table: 1 rows → 3 rows
- cells: 3 run, 1 reused, 1 re-verified, 2 new of 4; last verified 2026-11-25 → 2026-12-04; claim last verified 2026-11-25

<details><summary>Compatibility table (uvicorn, 3 versions)</summary>

| Version | Python 3.9 | Python 3.11 | Overall |
| --- | --- | --- | --- |
| 0.11.3 | Affected | — | Affected |
| 0.11.4 | Fixed | — | Fixed |
| 0.12.0 | Affected | Affected differently | Affected |

</details>
`);
    expect(renderNightText(summary)).toBe(`night of 2026-12-04: Changed: demo (1 of 1 scenario).
demo (refuted): reports/demo/README.md
  verdict: confirmed → refuted: ${sentence}
  new release: uvicorn 0.12.0
  new row: Python 3.9 · uvicorn 0.12.0: Affected
  new row: Python 3.11 · uvicorn 0.12.0: Affected differently
  new failure: ValueError: bad frame 0x… (1 cell)
  not run: shard 2/2 did not finish: 2 cells not run tonight, 1 kept with their last verification; without any result: py3.9~uvicorn0.12.1~gunicorn23.0.0~uvicorn.workers.UvicornWorker~preload~plain~w8
  page pages/demo.md: First fixed release: 0.11.4 → still affected in 0.12.0 (claimed 0.11.4); Version Compatibility Table: 1 rows → 3 rows
  cells: 3 run, 1 reused, 1 re-verified, 2 new of 4; last verified 2026-11-25 → 2026-12-04; claim last verified 2026-11-25
`);
  });
});

describe("the catalog index", () => {
  it("lists every scenario with its claim, verdict, last-verified date, stale cells, report and page, the same bytes each time", async () => {
    const root = await catalogDir({
      "scenarios/catalog.yaml": "scenarios: [a.yaml, b.yaml]\npages: ../pages\n",
      "scenarios/a.yaml": `${MINIMAL}page: ../pages/a.md\nclaim: { text: "first fixed release: 0.11.4", firstFixed: 0.11.4, when: { preload: true } }\n`,
      "scenarios/b.yaml": MINIMAL.replace("scenario: demo", "scenario: never-run"),
      "pages/a.md": PAGE,
    });
    const catalog = await loadCatalog(join(root, "scenarios", "catalog.yaml"));
    const old = record({ uvicorn: "0.11.3", startedAt: "2026-10-01T00:00:00.000Z" });
    const out = join(root, "reports");
    const demo = await writeReports(join(out, "demo"), results([old, record({ startedAt: NIGHT2 })]));
    const byName = new Map([
      ["demo", demo],
      ["never-run", undefined],
    ]);
    await writeCatalogIndex(out, catalog, byName);
    const md = await readFile(join(out, "README.md"), "utf8");
    expect(md).toContain(
      "| [demo](demo/README.md) | first fixed release: 0.11.4 (uvicorn, preload=true) | **not-reproduced** | 2026-10-01 | 1 of 2 | [a.md](../pages/a.md) |",
    );
    expect(md).toContain("| [never-run](never-run/README.md) | — | not run yet | not run yet | — | — |");
    expect(md).toContain(
      "Scenario [../scenarios/a.yaml](../scenarios/a.yaml) · report [README.md](demo/README.md), [index.html](demo/index.html)",
    );
    const html = await readFile(join(out, "index.html"), "utf8");
    expect(html).toContain('<a href="demo/index.html">demo</a>');
    expect(html).toContain('<strong class="not-reproduced">not-reproduced</strong>');
    expect(html).toContain('<td class="date">2026-10-01</td><td>1 of 2</td>');
    expect(html).not.toMatch(/<script|https?:/);
    await writeCatalogIndex(out, catalog, byName);
    expect(await readFile(join(out, "README.md"), "utf8")).toBe(md);
    expect(await readFile(join(out, "index.html"), "utf8")).toBe(html);
  });
});

describe("merging a night's shards", () => {
  // Two envs (uvicorn 0.20.0 and 0.39.0): each of two shards holds one, by the order of their keys.
  const scenarioText = `${MINIMAL.replace("[0.11.3, 0.11.4]", "[0.20.0, 0.39.0]")}preload: [true]\n`;
  const cell = (uvicorn: string, startedAt: string) => record({ scenario: "demo", uvicorn, startedAt });

  it("keeps a failed shard's cells with their last verification and names them as not run", async () => {
    const root = await catalogDir({ "scenarios/catalog.yaml": "scenarios: [demo.yaml]\n", "scenarios/demo.yaml": scenarioText });
    const [entry] = (await loadCatalog(join(root, "scenarios", "catalog.yaml"))).entries;
    const committed = results([cell("0.20.0", NIGHT1), cell("0.39.0", NIGHT1)], { runs: [run(NIGHT1, 2, 0)] });
    // Shard 1 started from the committed results and ran its env again.
    const shard1 = results([cell("0.20.0", NIGHT2), cell("0.39.0", NIGHT1)], { runs: [run(NIGHT1, 2, 0), run(NIGHT2, 1, 0, "1/2")] });
    await writeReports(join(root, "shards", "shard-demo-1", "demo"), shard1);
    await writeShardMarker(join(root, "shards", "shard-demo-1", "demo"), { scenario: "demo", shard: "1/2", startedAt: NIGHT2 });
    // Shard 2 sent results (a copy of the committed ones) but no marker: its run did not complete.
    await writeReports(join(root, "shards", "shard-demo-2", "demo"), committed);
    const merged = await mergeShards({
      scenario: entry?.scenario as NonNullable<typeof entry>["scenario"],
      file: entry?.file as string,
      before: committed,
      dir: join(root, "shards"),
      shardCount: 2,
      reportDir: join(root, "reports", "demo"),
      signal: AbortSignal.timeout(60_000),
    });
    expect(merged.after?.cells.map((c) => [c.packages.uvicorn, c.startedAt])).toEqual([
      ["0.20.0", NIGHT2],
      ["0.39.0", NIGHT1],
    ]);
    expect(merged.notRun).toEqual({ shards: ["2/2"], cells: 1, carried: 1, missing: [] });
    expect((await readResultsFile(join(root, "reports", "demo", "results.json")))?.cells).toHaveLength(2);

    // With every shard failed, nothing is written: the committed results stand, all of them not run.
    const none = await mergeShards({
      scenario: entry?.scenario as NonNullable<typeof entry>["scenario"],
      file: entry?.file as string,
      before: committed,
      dir: join(root, "no-shards"),
      shardCount: 2,
      reportDir: join(root, "untouched", "demo"),
      signal: AbortSignal.timeout(60_000),
    });
    expect(none.after).toBe(committed);
    expect(none.notRun).toEqual({ shards: ["1/2", "2/2"], cells: 2, carried: 2, missing: [] });
  }, 60_000);

  it("names a new scenario whose every shard failed, with all its cells not run, and calls the night changed", async () => {
    const root = await catalogDir({ "scenarios/catalog.yaml": "scenarios: [demo.yaml]\n", "scenarios/demo.yaml": scenarioText });
    const summary = await runNightly({
      catalogFile: join(root, "scenarios", "catalog.yaml"),
      outDir: join(root, "reports"),
      cacheDir: join(root, ".cache"),
      runtime: "auto",
      concurrency: 1,
      maxAgeDays: 30,
      merge: { dir: join(root, "no-shards"), shardCount: 2 },
      signal: AbortSignal.timeout(60_000),
      onEvent: () => {},
    });
    expect(summary.scenarios.map((n) => [n.scenario, n.notRun?.cells, n.notRun?.missing.length])).toEqual([["demo", 2, 2]]);
    expect(summary.changed).toBe(true);
    expect(renderNightText(summary)).toMatch(/not run: shard 1\/2, 2\/2 did not finish: 2 cells not run tonight, 0 kept/);
  }, 60_000);

  it("names the cells of a failed shard that have no result at all", async () => {
    const root = await catalogDir({ "scenarios/catalog.yaml": "scenarios: [demo.yaml]\n", "scenarios/demo.yaml": scenarioText });
    const [entry] = (await loadCatalog(join(root, "scenarios", "catalog.yaml"))).entries;
    // 0.39.0 is new tonight; its shard (2/2) failed before it ran anything.
    const shard1 = results([cell("0.20.0", NIGHT2)], { runs: [run(NIGHT2, 1, 0, "1/2")] });
    await writeReports(join(root, "shards", "shard-demo-1", "demo"), shard1);
    await writeShardMarker(join(root, "shards", "shard-demo-1", "demo"), { scenario: "demo", shard: "1/2", startedAt: NIGHT2 });
    const merged = await mergeShards({
      scenario: entry?.scenario as NonNullable<typeof entry>["scenario"],
      file: entry?.file as string,
      before: undefined,
      dir: join(root, "shards"),
      shardCount: 2,
      reportDir: join(root, "reports", "demo"),
      signal: AbortSignal.timeout(60_000),
    });
    expect(merged.notRun).toEqual({
      shards: ["2/2"],
      cells: 1,
      carried: 0,
      missing: ["py3.9~uvicorn0.39.0~gunicorn23.0.0~uvicorn.workers.UvicornWorker~preload~plain~w8"],
    });
  }, 60_000);
});
