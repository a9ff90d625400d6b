import type { ResultsFile } from "../store/results-file.js";
import { claimVerification, type Verification } from "./last-verified.js";
import { type ClaimVerdict, claimVerdict } from "./verdict.js";

/** What the results say of their claim: computed once per write and handed to every reporter. */
export interface Judgement {
  verdict: ClaimVerdict | undefined;
  verified: Verification | undefined;
}

export const judge = (r: ResultsFile): Judgement => ({ verdict: claimVerdict(r), verified: claimVerification(r) });
