import { z } from "zod";
import { type CellAxes, CellRecord, cellAxesKey, cellIdentity } from "../cell/record.js";
import { ConfigError } from "../core/errors.js";
import { readJsonFile } from "../core/json-file.js";

export const RunInfo = z.strictObject({
  startedAt: z.string(),
  wallMs: z.number(),
  cells: z.number(),
  /** Of those, how many were reused from an earlier run (same cell key), starting no server. */
  cellsReused: z.number().optional(),
  imagesBuilt: z.number(),
  imagesReused: z.number(),
  runtime: z.string(),
  filter: z.string().optional(),
  /** The scenario file it read, as given (for commands that rerun a cell). */
  config: z.string().optional(),
  /** "i/n" when the run was one shard of a matrix spread over machines. */
  shard: z.string().optional(),
  /** false when the run was interrupted: its cells are kept, the rest are from earlier runs. */
  completed: z.boolean(),
});
export type RunInfo = z.infer<typeof RunInfo>;

/**
 * results.json's format version. 1: no version field; 2: adds the claim's package and signature and
 * each cell's harnessVersion and bootProfile, all optional, so a version 1 file reads as version 2;
 * 3: readiness may be "stalled" (a reader of version 2 would reject it); 4: a cell may name the
 * machine it ran on (optional); 5: a cell's evidence may hold its checks and steps, and a log
 * line's phase may name a step (a reader of version 4 would reject both). A file from a newer
 * harness is refused (ConfigError) rather than silently replaced.
 */
export const RESULTS_SCHEMA_VERSION = 5;

export const Claim = z.strictObject({
  text: z.string(),
  /** The package whose releases the claim is about. */
  package: z.string().default("uvicorn"),
  /** The failure signature (a regex) the claim is about; absent: any of the scenario's signatures. */
  signature: z.string().optional(),
  firstFixed: z.string(),
  /** The trigger: only cells with these settings count for the claim. */
  when: z.record(z.string(), z.union([z.string(), z.boolean()])),
  /** Derived from the cells when the file is written, for machines that read only this file. */
  verdict: z
    .strictObject({
      status: z.enum(["confirmed", "refuted", "not-reproduced", "not-settled"]),
      sentence: z.string(),
      lastAffected: z.string().optional(),
      firstWithout: z.string().optional(),
    })
    .optional(),
  /** When the claim's cells were verified: the claim is as fresh as its oldest cell. */
  verified: z.strictObject({ oldest: z.string(), newest: z.string(), cells: z.number(), harnessVersions: z.array(z.string()) }).optional(),
});
export type Claim = z.infer<typeof Claim>;

export const ResultsFile = z.strictObject({
  schemaVersion: z.number().int().min(1).max(RESULTS_SCHEMA_VERSION).default(1),
  scenario: z.string(),
  description: z.string().optional(),
  claim: Claim.optional(),
  harnessVersion: z.string(),
  /** UTC date of the newest run that contributed cells. */
  lastVerified: z.string(),
  cells: z.array(CellRecord),
  /** Newest last. */
  runs: z.array(RunInfo),
});
export type ResultsFile = z.infer<typeof ResultsFile>;

export async function readResultsFile(file: string): Promise<ResultsFile | undefined> {
  // Results a newer harness wrote must not be overwritten by an older one that cannot read them.
  // Read and parsed once (the file is megabytes), then checked twice.
  const value = await readJsonFile(file, z.unknown());
  const version = z.looseObject({ schemaVersion: z.number().optional() }).safeParse(value).data?.schemaVersion ?? 1;
  if (version > RESULTS_SCHEMA_VERSION)
    throw new ConfigError(
      `${file}: results schema version ${version} is newer than this repro-matrix reads (${RESULTS_SCHEMA_VERSION}); upgrade repro-matrix`,
    );
  // An older, hand-edited or truncated file is not merged into; the new run replaces it.
  const parsed = ResultsFile.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * results.json's text, `JSON.stringify(r, null, 2)` and a newline byte for byte, one cell at a
 * time: the whole file as one string (megabytes for a full sweep) is what peaked the harness's
 * memory at the end of a run.
 */
export function* resultsJsonChunks(r: ResultsFile): Generator<string> {
  const placeholder = JSON.stringify("\u0000cells\u0000");
  const [head, tail] = JSON.stringify({ ...r, cells: "\u0000cells\u0000" }, null, 2).split(placeholder);
  if (r.cells.length === 0) {
    yield `${head}[]${tail}\n`;
    return;
  }
  yield `${head}[`;
  for (const [i, cell] of r.cells.entries()) {
    // Nested two levels deep: every line of the cell moves right by four spaces (a JSON string
    // holds no raw newline, so each "\n" is a line break of the layout).
    yield `${i === 0 ? "" : ","}\n    ${JSON.stringify(cell, null, 2).replaceAll("\n", "\n    ")}`;
  }
  yield `\n  ]${tail}\n`;
}

/** New cells replace earlier ones with the same axes; cells a filtered run did not touch stay. */
export function mergeCells(previous: CellRecord[], fresh: CellRecord[]): CellRecord[] {
  const byId = new Map(previous.map((c) => [cellIdentity(c), c]));
  for (const c of fresh) byId.set(cellIdentity(c), c);
  return [...byId.values()];
}

/**
 * Splits recorded cells into those the scenario's matrix still holds (by axes, on any runtime) and
 * those it no longer does: a release the range or the index dropped, a Python, worker class or app
 * taken out, another worker count. No run can verify the latter again, so kept they would stay in
 * the table and hold the claim's last-verified date back for good.
 */
export function splitByMatrix(cells: CellRecord[], matrix: Iterable<CellAxes>) {
  const axes = new Set([...matrix].map(cellAxesKey));
  const kept: CellRecord[] = [];
  const outside: CellRecord[] = [];
  for (const c of cells) (axes.has(cellAxesKey(c)) ? kept : outside).push(c);
  return { kept, outside };
}

export { writeAtomic } from "../core/json-file.js";
