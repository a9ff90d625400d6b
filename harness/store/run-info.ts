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
  /**
   * Each env the run built (not reused): its key, the time from its lock to a usable image or venv
   * (the lock, the files, the build), whether it passed the lock check, and whether it compiled an sdist.
   */
  envBuilds: z.array(z.strictObject({ env: z.string(), ms: z.number(), ok: z.boolean(), compiled: z.boolean().optional() })).optional(),
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

/**
 * A combination a release's own metadata excludes (its Requires-Python, or wheels for other
 * Pythons and no sdist): not a cell and not a failure. Listed once per release and reason.
 */
export const NotApplicable = z.strictObject({
  package: z.string(),
  version: z.string(),
  pythons: z.array(z.string()),
  reason: z.string(),
});
export type NotApplicable = z.infer<typeof NotApplicable>;

/** How the releases got their Pythons: in the results as the harness works with them and as stored. */
export const PythonsOfResults = {
  /** `era`: each release ran on the Python of its day (and others only where it could not be tested there). */
  pythonPolicy: z.enum(["every", "era"]).optional(),
  /** Each release of the claim's package → its era Python among the matrix's: the newest released before it. */
  eraPython: z.record(z.string(), z.string()).optional(),
  notApplicable: z.array(NotApplicable).optional(),
};
