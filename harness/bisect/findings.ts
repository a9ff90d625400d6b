import type { SearchState } from "./search-state.js";
import type { Neighbour, Transition, Unsettled } from "./types.js";

/**
 * Neighbours with a stable verdict whose verdicts differ and with nothing untested between them (the search bisects
 * until that holds), so what lies between gave no stable verdict.
 */
export function transitionsOf<V>(s: SearchState<V>, versions: V[]): Transition<V>[] {
  const tested = [...s.seen.keys()].sort((x, y) => x - y);
  const out: Transition<V>[] = [];
  for (const [p, q] of s.disagreeing()) {
    if (s.untestedBetween(p, q)) continue;
    const between = tested.filter((i) => i > p && i < q).map((i) => versions[i]!);
    out.push({ lastBefore: versions[p]!, firstAfter: versions[q]!, from: s.stable(p)!, to: s.stable(q)!, untestableBetween: between });
  }
  return out;
}

/** Every maximal stretch of untested versions, with the tested version on either side of it. */
export function unsettledOf<V>(s: SearchState<V>, versions: V[]): Unsettled<V>[] {
  const out: Unsettled<V>[] = [];
  const side = (i: number): Neighbour<V> | undefined =>
    i >= 0 && i < versions.length ? { version: versions[i]!, shown: s.shown(i) } : undefined;
  let i = 0;
  while (i < versions.length) {
    if (s.seen.has(i)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < versions.length && !s.seen.has(j + 1)) j++;
    const below = side(i - 1);
    const above = side(j + 1);
    out.push({ first: versions[i]!, last: versions[j]!, count: j - i + 1, ...(below && { below }), ...(above && { above }) });
    i = j + 1;
  }
  return out;
}
