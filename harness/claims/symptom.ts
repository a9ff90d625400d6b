import type { CellRecord } from "../cell/record.js";
import type { Claim } from "../store/results-file.js";

/**
 * What a cell had to show to count as reproduced, in the words a report uses for it. A scenario's
 * checks can be a status count, a missing line, a signal's aftermath or a time: calling those "the
 * signature" told readers to look for a log line that was never there (uvicorn-1269-hup has none).
 */
export interface Symptom {
  /** A signature decided (the claim's, or the scenario's), or the scenario's checks, or no cell ran to tell. */
  kind: "signature" | "checks" | "unknown";
  /** First mention in a sentence: `"Event loop is closed"`, `the symptom (status 5xx ≥ 1 in step 2, or …)`. */
  named: string;
  /** Later mentions in the same text: the quoted signature again, or the bare noun. */
  again: string;
  /** In legends and headings, where a regex or a list of checks would not fit: "the signature", "the symptom". */
  label: string;
}

export function symptomOf(claim: Pick<Claim, "signature"> | undefined, cells: readonly CellRecord[]): Symptom {
  if (claim?.signature) {
    const quoted = `"${claim.signature}"`;
    return { kind: "signature", named: quoted, again: quoted, label: "the signature" };
  }
  // Every cell records the same checks, in the scenario's order; a Set keeps that order.
  const checks = [...new Set(cells.flatMap((c) => (c.evidence.checks ?? []).map((k) => k.check)))];
  if (checks.length > 0) return { kind: "checks", ...noun("the symptom"), named: `the symptom (${checks.join(", or ")})` };
  // A cell that got past its install was classified: without checks recorded, by the scenario's
  // signatures, so "the signature" is what decided (a scaffolded fix-page scenario names its error
  // as one). Only cells that never installed leave nothing to tell the two apart.
  if (cells.some((c) => c.outcome !== "install-failed")) return { kind: "signature", ...noun("the signature") };
  return { kind: "unknown", ...noun("the failure") };
}

const noun = (n: string) => ({ named: n, again: n, label: n });
