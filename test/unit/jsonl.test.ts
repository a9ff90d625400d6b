import { appendFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appendRecord, readRecords } from "../../harness/store/jsonl.js";
import { tempDir } from "../helpers/harness.js";
import { record } from "../helpers/records.js";

describe("results.jsonl", () => {
  it("skips a torn line with why, and starts the next record on a line of its own", async () => {
    const file = join(await tempDir("jsonl"), "results.jsonl");
    await appendRecord(file, record({ uvicorn: "0.11.3" }));
    await appendFile(file, '{"scenario":"demo","uvic');
    expect((await readRecords(file)).skipped).toEqual([{ line: 2, why: "not a whole JSON line (24 bytes; torn by a crash mid-write?)" }]);
    await appendRecord(file, record({ uvicorn: "0.11.4" }));
    const read = await readRecords(file);
    expect(read.records.map((r) => r.packages.uvicorn)).toEqual(["0.11.3", "0.11.4"]);
    expect(read.skipped.map((s) => s.line)).toEqual([2]);
    expect((await readFile(file, "utf8")).split("\n")).toHaveLength(4);
  });
  it("reads a missing file as empty and names a line that is JSON but not a record", async () => {
    const dir = await tempDir("jsonl");
    expect(await readRecords(join(dir, "none.jsonl"))).toEqual({ records: [], skipped: [] });
    const file = join(dir, "results.jsonl");
    await appendFile(file, '{"hello":1}\n');
    expect((await readRecords(file)).skipped[0]?.why).toMatch(/^not a cell record/);
  });
});
