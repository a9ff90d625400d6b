import type { CellRecord } from "../cell/record.js";

/**
 * One record for k trials of a cell. Trials that agree give their outcome (the first trial's
 * evidence); trials that disagree give "flaky", with the reproduction rate, and the evidence of
 * a trial that reproduced, if any, so the matched lines stay one click away.
 */
export function combineTrials(trials: CellRecord[]): CellRecord {
  const first = trials[0];
  if (!first) throw new Error("combineTrials: no trials");
  if (trials.length === 1) return first;
  const outcomes: Record<string, number> = {};
  for (const t of trials) outcomes[t.outcome] = (outcomes[t.outcome] ?? 0) + 1;
  const reproducedIn = outcomes.reproduced ?? 0;
  const summary = { count: trials.length, outcomes, reproducedIn };
  const durationMs = trials.reduce((sum, t) => sum + t.durationMs, 0);
  if (Object.keys(outcomes).length === 1) return { ...first, durationMs, trials: summary };
  const shown = trials.find((t) => t.outcome === "reproduced") ?? first;
  const others = Object.entries(outcomes)
    .filter(([o]) => o !== "reproduced")
    .map(([o, n]) => `${n} ${o}`)
    .join(", ");
  return {
    ...shown,
    startedAt: first.startedAt,
    durationMs,
    outcome: "flaky",
    reason: `trials disagree: reproduced in ${reproducedIn}/${trials.length}${others ? ` (${others})` : ""}; trial shown: ${shown.reason}`,
    trials: summary,
  };
}
