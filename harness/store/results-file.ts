import { z } from "zod";
import { readJsonFile } from "./json-file.js";
import { CellRecord, cellIdentity } from "./record.js";

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
  /** "i/n" when the run was one shard of a matrix spread over machines. */
  shard: z.string().optional(),
  /** false when the run was interrupted: its cells are kept, the rest are from earlier runs. */
  completed: z.boolean(),
});
export type RunInfo = z.infer<typeof RunInfo>;

export const ResultsFile = z.strictObject({
  scenario: z.string(),
  description: z.string().optional(),
  claim: z
    .strictObject({ text: z.string(), firstFixed: z.string(), when: z.record(z.string(), z.union([z.string(), z.boolean()])) })
    .optional(),
  harnessVersion: z.string(),
  /** UTC date of the newest run that contributed cells. */
  lastVerified: z.string(),
  cells: z.array(CellRecord),
  /** Newest last. */
  runs: z.array(RunInfo),
});
export type ResultsFile = z.infer<typeof ResultsFile>;

export async function readResultsFile(file: string): Promise<ResultsFile | undefined> {
  // An older, hand-edited or truncated file is not merged into; the new run replaces it.
  return readJsonFile(file, ResultsFile);
}

/** New cells replace earlier ones with the same axes; cells a filtered run did not touch stay. */
export function mergeCells(previous: CellRecord[], fresh: CellRecord[]): CellRecord[] {
  const byId = new Map(previous.map((c) => [cellIdentity(c), c]));
  for (const c of fresh) byId.set(cellIdentity(c), c);
  return [...byId.values()];
}

export { writeAtomic } from "./json-file.js";
