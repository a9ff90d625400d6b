import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ResultsFile, resultsJsonChunks, writeAtomic } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

const results = (cells: ResultsFile["cells"]): ResultsFile => ({
  schemaVersion: 2,
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

describe("results.json written a cell at a time", () => {
  const tricky = record({
    reason: 'quotes " and \\ backslashes, a tab\t, an emoji 🙂 and \u2028',
    evidence: {
      ...record().evidence,
      logTail: [{ n: 1, stream: "stderr", phase: "boot", text: "Traceback (most recent call last):\n  nested" }],
    },
  });
  for (const [name, cells] of [
    ["no cells", []],
    ["one cell", [record()]],
    ["several cells, with escapes and nested arrays", [record(), tricky, record({ uvicorn: "0.12.0", command: [] })]],
  ] as const) {
    it(`is JSON.stringify(results, null, 2) byte for byte: ${name}`, () => {
      const r = results([...cells]);
      expect([...resultsJsonChunks(r)].join("")).toBe(`${JSON.stringify(r, null, 2)}\n`);
    });
  }

  it("writeAtomic leaves no temp file behind when the chunks fail halfway", async () => {
    const dir = await mkdtemp(join(tmpdir(), "chunks-"));
    function* failing() {
      yield "{";
      throw new Error("renderer broke");
    }
    await expect(writeAtomic(join(dir, "index.html"), failing())).rejects.toThrow("renderer broke");
    expect(await readdir(dir)).toEqual([]);
  });

  it("writeAtomic writes the chunks as one file", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "chunks-")), "results.json");
    const r = results([record(), record({ uvicorn: "0.12.0" })]);
    await writeAtomic(file, resultsJsonChunks(r));
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(r);
  });
});
