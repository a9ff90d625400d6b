/**
 * The value grammar of a page's "First fixed release: X" mentions, shared by the updater (which
 * writes it) and the parser (which reads the claim back, also from a page the updater rewrote).
 *
 * What the harness writes, and why:
 * - `0.14.2`: the measured first fixed release, i.e. the first tested version after the newest
 *   affected one that ran without the signature. Same kind of value as the claim, so it simply
 *   replaces it.
 * - `not reproduced (claimed 0.14.2)`: the signature never appeared in any version that ran. The
 *   harness has then measured no bug for a release to have fixed, so repeating the claimed version
 *   would read as confirmed; dropping it would lose what the page claimed. Both stay visible.
 * - `still affected in 0.20.0 (claimed 0.14.2)`: the signature reproduces up to 0.20.0 and no later
 *   version ran without it, so no release is known to fix it.
 * - `0.11.3 or earlier (claimed 0.11.4; 0.5.2 to 0.10.8 could not be tested)`: the first version
 *   without the signature is 0.11.3, but releases between the last affected one and it could not
 *   be tested, so the fix may be older: a plain 0.11.3 would claim more than was measured.
 * The claimed version is kept inside the phrase so that a later run, once the bug reproduces, can
 * write a plain version again, and so that `init --from-page` still finds the page's claim.
 */

/** What the harness measured for the field; "unmeasured" leaves the page's value as it is. */
export type MeasuredFirstFixed =
  | { kind: "version"; version: string }
  | { kind: "not-reproduced" }
  | { kind: "still-affected"; lastAffected: string }
  | { kind: "at-most"; version: string; untested: string[] }
  | { kind: "unmeasured" };

/** A PEP 440 version as pages write it; never ends in "." so "0.14.2)." and "0.14.2." end the value. */
const VERSION = String.raw`v?\d+(?:!\d+)?(?:\.\d+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview|post|rev|dev)\d*)*(?:\+[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)?(?![\w.]*\w)`;

/** The label (any case, e.g. a sentence's "(first fixed release: X)"), then one value of the grammar. */
export const FIRST_FIXED = new RegExp(
  String.raw`\b(first fixed release:[ \t]*)((?:not reproduced|still affected in ${VERSION}|${VERSION} or earlier) \(claimed (${VERSION})(?:; [^()]*)?\)|(${VERSION}))`,
  "gi",
);

export interface FirstFixedMention {
  /** Offset of the value in the line, and the value as written. */
  index: number;
  value: string;
  /** The version the page claims, also when the value is one of the harness's phrases. */
  claimed: string;
}

/** Every "First fixed release: X" value on one line. */
export function firstFixedMentions(line: string): FirstFixedMention[] {
  return [...line.matchAll(FIRST_FIXED)].map((m) => ({
    index: (m.index ?? 0) + (m[1] as string).length,
    value: m[2] as string,
    claimed: (m[3] ?? m[4]) as string,
  }));
}

/** The value to write, or undefined to keep the page's own. */
export function renderFirstFixed(measured: MeasuredFirstFixed, claimed: string): string | undefined {
  switch (measured.kind) {
    case "version":
      return measured.version;
    case "not-reproduced":
      return `not reproduced (claimed ${claimed})`;
    case "still-affected":
      return `still affected in ${measured.lastAffected} (claimed ${claimed})`;
    case "at-most": {
      const [first, last] = [measured.untested[0], measured.untested.at(-1)];
      const span = first === last ? `${first} could` : `${first} to ${last} could`;
      return `${measured.version} or earlier (claimed ${claimed}; ${span} not be tested)`;
    }
    case "unmeasured":
      return undefined;
  }
}
