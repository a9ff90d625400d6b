import type { ResultsFile } from "../store/results-file.js";

/** The measured boundary of one configuration that matches the claim's trigger. */
export interface ConfigVerdict {
  /** e.g. "Python 3.9 · UvicornWorker · --preload · import-time-loop" */
  label: string;
  python: string;
  workerClass: string;
  preload: boolean;
  app: string;
  /** Newest version whose cells reproduced the signature. */
  lastAffected?: string;
  /** Oldest version after lastAffected that ran without the signature (clean or failing otherwise). */
  firstWithout?: string;
  /** Oldest version from which every tested version is clean. */
  firstClean?: string;
  /** Versions between lastAffected and firstWithout that could not be tested. */
  untestedBetween: string[];
  /** Runs of consecutive versions that failed without the signature, with the fingerprint they share. */
  affectedDifferently: { from: string; to: string; fingerprint: string }[];
}

export type VerdictStatus = "confirmed" | "refuted" | "not-reproduced" | "not-settled";

export interface ClaimVerdict {
  status: VerdictStatus;
  /** The one sentence a report opens with. */
  sentence: string;
  configs: ConfigVerdict[];
  /** Over all trigger configurations: the newest affected version and the first without the signature after it. */
  lastAffected?: string;
  firstWithout?: string;
}

/** The claim's verdict as the results stand; undefined when the scenario states no claim. */
export function claimVerdict(r: ResultsFile): ClaimVerdict | undefined {
  if (!r.claim) return undefined;
  throw new Error("not implemented yet");
}
