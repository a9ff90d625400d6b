import { z } from "zod";

/** One run of the matrix, as results.json lists it. */
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
