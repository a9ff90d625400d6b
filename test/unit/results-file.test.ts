import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import {
  canonicalResults,
  parseResults,
  RESULTS_SCHEMA_VERSION,
  type ResultsFile,
  readResultsFile,
  resultsJsonChunks,
  writeAtomic,
} from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

const results = (cells: ResultsFile["cells"]): ResultsFile => ({
  schemaVersion: 4,
  scenario: "demo",
  description: "a line\nand another",
  harnessVersion: "0.1.0",
  lastVerified: "2026-11-25",
  cells,
  runs: [
    {
      startedAt: "2026-11-25T10:00:00.000Z",
      wallMs: 5,
      cells: cells.length,
      imagesBuilt: 0,
      imagesReused: 1,
      runtime: "docker",
      completed: true,
    },
  ],
});
const text = (r: ResultsFile) => [...resultsJsonChunks(r)].join("");
const INSTALL_LOG = "error: Failed to build `uvicorn==0.2.0`\n  cause: FileNotFoundError: 'README.md'";
const failed = (uvicorn: string): CellRecord =>
  record({
    uvicorn,
    outcome: "install-failed",
    reason: "cannot build",
    evidence: { ...record().evidence, packages: ["uvicorn==0.2.0"], installLog: INSTALL_LOG },
  });
/** The same record with every object's keys in reverse order, as another code path might build it. */
const reversed = <T>(v: T): T =>
  v && typeof v === "object" && !Array.isArray(v)
    ? (Object.fromEntries(
        Object.entries(v as object)
          .reverse()
          .map(([k, x]) => [k, reversed(x)]),
      ) as T)
    : Array.isArray(v)
      ? (v.map(reversed) as T)
      : v;

describe("results.json as stored (schema 6 on: shared envs and machines; 9: line shapes and commands)", () => {
  const tricky = record({
    reason: 'quotes " and \\ backslashes, a tab\t, an emoji 🙂 and \u2028',
    evidence: {
      ...record().evidence,
      logTail: [
        { n: 1, stream: "stderr", phase: "boot", text: "Traceback (most recent call last):\n  nested" },
        { n: 2, stream: "stderr", phase: "boot", text: "second" },
        { n: 3, stream: "stdout", phase: "boot", text: "other stream" },
        { n: 9, stream: "stdout", phase: "probe", text: "after a gap" },
      ],
    },
  });
  for (const [name, cells] of [
    ["no cells", []],
    ["one cell", [record()]],
    ["several cells, with escapes, log runs and gaps", [record(), tricky, record({ uvicorn: "0.12.0", command: [] }), failed("0.2.0")]],
  ] as const) {
    it(`reads back as the same data: ${name}`, () => {
      const r = results([...cells]);
      const back = parseResults("results.json", text(r));
      expect(back.problem).toBeUndefined();
      expect(back.results).toEqual({ ...canonicalResults(r), schemaVersion: RESULTS_SCHEMA_VERSION });
      expect(back.results?.cells).toEqual(cells);
    });
  }

  it("stores log lines as runs of consecutive lines of one stream and phase", () => {
    const stored = JSON.parse(text(results([tricky])));
    expect(stored.cells[0].evidence.logTail).toEqual([
      { n: 1, stream: "stderr", phase: "boot", lines: ["Traceback (most recent call last):\n  nested", "second"] },
      { n: 3, stream: "stdout", phase: "boot", lines: ["other stream"] },
      { n: 9, stream: "stdout", phase: "probe", lines: ["after a gap"] },
    ]);
  });

  it("stores a line shape several lines share once, and each such line as its shape and digits (those of the line above left out); the rest as text", () => {
    const booting = (pid: number, n: number) => ({
      n,
      stream: "stderr" as const,
      phase: "boot" as const,
      text: `[2026-12-03 22:10:0${n} +0000] [${pid}] [INFO] Booting worker with pid: ${pid}`,
    });
    const odd = [
      { n: 3, stream: "stderr" as const, phase: "boot" as const, text: "holds the slot ¤ 12 and ¤ 13" },
      { n: 4, stream: "stderr" as const, phase: "boot" as const, text: "holds the slot ¤ 14 and ¤ 15" },
      { n: 5, stream: "stderr" as const, phase: "boot" as const, text: "no digits" },
      { n: 6, stream: "stderr" as const, phase: "boot" as const, text: "one of its shape: 007" },
    ];
    const a = record({ evidence: { ...record().evidence, logTail: [booting(12, 1), booting(13, 2), ...odd] } });
    const b = record({ uvicorn: "0.12.0", evidence: { ...record().evidence, logTail: [booting(7, 1)] } });
    const written = text(results([a, b]));
    const stored = JSON.parse(written);
    expect(stored.lineShapes).toEqual(["[¤-¤-¤ ¤:¤:¤ +¤] [¤] [INFO] Booting worker with pid: ¤"]);
    expect(stored.cells[0].evidence.logTail[0].lines).toEqual([
      [0, "2026,12,03,22,10,01,0000,12,12"],
      // The first five runs of digits are the line above's: "5:" stands for them.
      [0, "5:02,0000,13,13"],
      "holds the slot ¤ 12 and ¤ 13",
      "holds the slot ¤ 14 and ¤ 15",
      "no digits",
      "one of its shape: 007",
    ]);
    expect(parseResults("results.json", written).results?.cells).toEqual([a, b]);
    // A line naming a shape the file lacks, or with digits its shape has no slots for, is a damaged file.
    const damaged = (f: (s: typeof stored) => void) => {
      const copy = JSON.parse(written);
      f(copy);
      return parseResults("results.json", JSON.stringify(copy)).problem;
    };
    expect(damaged((s) => (s.lineShapes = []))).toMatch(/cells\[0\].*shape is not in the file/);
    expect(damaged((s) => (s.cells[0].evidence.logTail[0].lines[0] = [0, "1,2"]))).toMatch(/cells\[0\]/);
    // A first line cannot take its digits from a line above it.
    expect(damaged((s) => (s.cells[0].evidence.logTail[0].lines[0] = [0, "5:02,0000,13,13"]))).toMatch(/cells\[0\]/);
  });

  it("stores each distinct command line and first traceback once, referenced by the cells", () => {
    const stack = ["Traceback (most recent call last):", "KeyError: '8 is not registered'"];
    const withStack = (uvicorn: string) => record({ uvicorn, evidence: { ...record().evidence, firstOtherTraceback: stack } });
    const cells = [withStack("0.11.0"), withStack("0.12.0"), record({ preload: true, command: ["gunicorn", "--preload"] })];
    const stored = JSON.parse(text(results(cells)));
    expect(stored.commands).toEqual([record().command, ["gunicorn", "--preload"]]);
    expect(stored.cells.map((c: { command: number }) => c.command)).toEqual([0, 0, 1]);
    expect(stored.tracebacks).toEqual([stack]);
    expect(stored.cells.map((c: { evidence: { firstOtherTraceback?: number } }) => c.evidence.firstOtherTraceback)).toEqual([
      0,
      0,
      undefined,
    ]);
    expect(parseResults("results.json", text(results(cells))).results?.cells).toEqual(cells);
  });

  it("puts each cell, env, machine and run on a line of its own", () => {
    const cells = [record(), failed("0.2.0"), failed("0.2.1")];
    const lines = text(results(cells)).split("\n");
    const stored = JSON.parse(lines.join("\n"));
    expect(stored.cells).toHaveLength(3);
    for (const c of stored.cells) expect(lines).toContain(`    ${JSON.stringify(c)}${c === stored.cells.at(-1) ? "" : ","}`);
    expect(lines.filter((l) => l.includes('"startedAt":"2026-11-25T10:00:00.000Z","wallMs"'))).toHaveLength(1);
  });

  it("stores an env's install log and lock once, however many cells share it", () => {
    const cells = ["0.2.0", "0.2.1", "0.2.2"].map(failed);
    const t = text(results(cells));
    expect(t.split(JSON.stringify(INSTALL_LOG)).length - 1).toBe(1);
    const stored = JSON.parse(t);
    expect(Object.keys(stored.envs)).toHaveLength(1);
    const key = stored.cells[0].env;
    expect(stored.envs[key]).toEqual({ packages: ["uvicorn==0.2.0"], installLog: INSTALL_LOG });
    expect(stored.cells.map((c: { env: string }) => c.env)).toEqual([key, key, key]);
    expect(stored.cells[0].evidence.installLog).toBeUndefined();
    expect(stored.cells[0].evidence.packages).toBeUndefined();
  });

  it("is the same bytes whatever order the keys were built in", () => {
    const cells = [record({ evidence: { ...record().evidence, statusCounts: { 500: 1, 200: 47 }, connectionErrors: { b: 1, a: 2 } } })];
    expect(text(reversed(results(cells)))).toBe(text(results(cells)));
  });

  it("reads a version 4 file (every cell whole) and writes it back as the stored layout", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rm-v4-"));
    const file = join(dir, "results.json");
    const v4 = results([record(), failed("0.2.0")]);
    await writeFile(file, JSON.stringify(v4, null, 2));
    const read = await readResultsFile(file);
    expect(read).toEqual(v4);
    await writeAtomic(file, resultsJsonChunks(read as ResultsFile));
    expect(JSON.parse(await readFile(file, "utf8")).schemaVersion).toBe(RESULTS_SCHEMA_VERSION);
    expect((await readResultsFile(file))?.cells).toEqual(v4.cells);
  });

  it("writeAtomic leaves no temp file behind when the chunks fail halfway", async () => {
    const dir = await mkdtemp(join(tmpdir(), "chunks-"));
    function* failing() {
      yield "{";
      throw new Error("renderer broke");
    }
    await expect(writeAtomic(join(dir, "index.html"), failing())).rejects.toThrow("renderer broke");
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("a damaged results.json", () => {
  const write = async (content: string) => {
    const dir = await mkdtemp(join(tmpdir(), "rm-damaged-"));
    const file = join(dir, "results.json");
    await writeFile(file, content);
    return { dir, file };
  };
  const good = () => text(results([record({ uvicorn: "0.1.0" }), record({ uvicorn: "0.2.0" }), record({ uvicorn: "0.3.0" })]));

  it("is never read as 'no results': a field that fails the schema names the file and the first bad path", async () => {
    const { file } = await write(good().replace('"outcome":"clean"', '"outcome":"CLEAN"'));
    await expect(readResultsFile(file)).rejects.toThrow(
      new RegExp(`^${file}: cells\\[0\\]\\.outcome: one of "reproduced", .* found "CLEAN"; nothing was written: .* --repair`),
    );
  });

  it("a file cut short says it is not valid JSON", async () => {
    const whole = good();
    const { file } = await write(whole.slice(0, Math.floor(whole.length * 0.8)));
    await expect(readResultsFile(file)).rejects.toThrow(new RegExp(`^${file}: not valid JSON \\(`));
  });

  it("with --repair keeps the valid cells, copies the damaged file aside byte for byte and rewrites a valid one", async () => {
    const damaged = good().replace('"outcome":"clean"', '"outcome":"CLEAN"');
    const { dir, file } = await write(damaged);
    const notes: string[] = [];
    const r = await readResultsFile(file, { repair: true, onRepair: (n) => notes.push(n) });
    expect(r?.cells.map((c) => c.packages.uvicorn)).toEqual(["0.2.0", "0.3.0"]);
    expect(r?.runs).toHaveLength(1);
    const aside = (await readdir(dir)).filter((f) => f.startsWith("results.json.bad-"));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(dir, aside[0] as string), "utf8")).toBe(damaged);
    expect(notes).toEqual([expect.stringMatching(/kept 2 of 3 cells; the damaged file is .*results\.json\.bad-/)]);
    expect((await readResultsFile(file))?.cells).toEqual(r?.cells);
  });

  it("with --repair keeps the era fields, and cells whose log lines are stored by shape; a damaged command drops its cells", async () => {
    const line = (n: number) => ({ n, stream: "stderr" as const, phase: "boot" as const, text: `[${n}] Booting worker with pid: ${n}` });
    const withLog = (uvicorn: string, command = record().command) =>
      record({ uvicorn, command, evidence: { ...record().evidence, logTail: [line(1), line(2)] } });
    const era = {
      ...results([withLog("0.1.0"), withLog("0.2.0"), withLog("0.3.0", ["other", "command"])]),
      pythonPolicy: "era" as const,
      eraPython: { "0.1.0": "3.7" },
      notApplicable: [{ package: "uvicorn", version: "0.54.0", pythons: ["3.7"], reason: "Requires-Python >=3.10" }],
    };
    const stored = JSON.parse(text(era));
    expect(stored.lineShapes).toHaveLength(1);
    stored.commands[1] = "not a command";
    stored.cells[0].outcome = "CLEAN";
    const { file } = await write(JSON.stringify(stored));
    const r = await readResultsFile(file, { repair: true });
    expect(r?.cells.map((c) => c.packages.uvicorn)).toEqual(["0.2.0"]);
    expect(r?.cells[0]?.evidence.logTail.map((l) => l.text)).toEqual(["[1] Booting worker with pid: 1", "[2] Booting worker with pid: 2"]);
    expect(r).toMatchObject({ pythonPolicy: "era", eraPython: era.eraPython, notApplicable: era.notApplicable });
  });

  it("with --repair keeps the whole cells of a file cut short, old layout or new", async () => {
    const v4 = JSON.stringify(results([record({ uvicorn: "0.1.0" }), record({ uvicorn: "0.2.0" }), record({ uvicorn: "0.3.0" })]), null, 2);
    for (const whole of [good(), v4]) {
      // Cut inside the third cell.
      const { file } = await write(whole.slice(0, whole.lastIndexOf('"0.3.0"') + 20));
      const r = await readResultsFile(file, { repair: true });
      expect(r?.cells.map((c) => c.packages.uvicorn)).toEqual(["0.1.0", "0.2.0"]);
    }
  });
});
