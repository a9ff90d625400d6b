import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../harness/core/errors.js";
import { RESULTS_SCHEMA_VERSION, readResultsFile } from "../../harness/store/results-file.js";
import { resultsJsonSchema } from "../../harness/store/results-schema.js";
import { record } from "../helpers/records.js";

const file = async (content: unknown) => {
  const dir = await mkdtemp(join(tmpdir(), "rm-schema-"));
  const path = join(dir, "results.json");
  await writeFile(path, JSON.stringify(content));
  return path;
};
const v1 = { scenario: "demo", harnessVersion: "0.1.0", lastVerified: "2026-11-01", cells: [record()], runs: [] };

describe("results.json schema", () => {
  it("is committed as JSON Schema exactly as the zod schema generates it (npm run schema)", async () => {
    const committed = JSON.parse(await readFile("schema/results.schema.json", "utf8"));
    expect(committed).toEqual(resultsJsonSchema());
    expect(committed.properties.schemaVersion.maximum).toBe(RESULTS_SCHEMA_VERSION);
  });
  it("reads a version 1 file (no version field) as the current version's data", async () => {
    const r = await readResultsFile(await file(v1));
    expect(r?.schemaVersion).toBe(1);
    expect(r?.cells).toHaveLength(1);
  });
  it("refuses a file from a newer harness instead of treating it as missing and replacing it", async () => {
    const path = await file({ ...v1, schemaVersion: RESULTS_SCHEMA_VERSION + 1 });
    await expect(readResultsFile(path)).rejects.toThrow(ConfigError);
    const [newer, ours] = [RESULTS_SCHEMA_VERSION + 1, RESULTS_SCHEMA_VERSION];
    await expect(readResultsFile(path)).rejects.toThrow(`schema version ${newer} is newer than this repro-matrix reads (${ours}); upgrade`);
  });
  it("reads a cell whose server never started: its deadline ran out first, and only its teardown was measured", async () => {
    // Written by a run whose engine started nothing; the next run refused the file it had written.
    const unstarted = record({ outcome: "timeout", reason: "no HTTP answer within 8 s", phasesMs: { teardown: 8004 } });
    const r = await readResultsFile(await file({ ...v1, cells: [unstarted] }));
    expect(r?.cells[0]?.phasesMs).toEqual({ teardown: 8004 });
  });
});
