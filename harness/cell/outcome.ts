/** The vocabulary every part of the harness shares (see DESIGN.md). */
export const OUTCOMES = ["reproduced", "clean", "other-failure", "boot-failure", "install-failed", "timeout", "flaky"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * What an outcome says to the claim's question, "does the signature appear?":
 * - affected: it appeared (in a flaky cell: in at least one trial);
 * - fixed: the server booted, every probe was answered by every worker, and it never appeared;
 * - unaffected: the server booted and was probed, and it never appeared, but something else
 *   failed (the cell is tested, not fixed);
 * - untested: no server could be probed (no env, no boot, a timeout), so the cell says nothing.
 * Tables, bisect and fix pages all read outcomes through this, and nowhere else.
 */
export type Showing = "affected" | "fixed" | "unaffected" | "untested";

export function showing(c: { outcome: Outcome; trials?: { reproducedIn: number } | undefined }): Showing {
  switch (c.outcome) {
    case "reproduced":
      return "affected";
    case "clean":
      return "fixed";
    case "other-failure":
      return "unaffected";
    // A flaky cell is never fixed: affected when any trial reproduced, otherwise it failed otherwise.
    case "flaky":
      return (c.trials?.reproducedIn ?? 0) > 0 ? "affected" : "unaffected";
    case "boot-failure":
    case "install-failed":
    case "timeout":
      return "untested";
  }
}

/** A server booted and was probed: the cell could have shown the signature. */
export const isTested = (c: Parameters<typeof showing>[0]) => showing(c) !== "untested";

/**
 * Untested for a reason of the release on this Python (no env, no boot), so another Python may
 * test it: era's passes move a release on, and its tables keep only the Pythons that tested it. A
 * timeout is untested too, but says more about the machine's load than the Python: no move.
 */
export const untestedOnThisPython = (outcome: Outcome) => outcome === "install-failed" || outcome === "boot-failure";
