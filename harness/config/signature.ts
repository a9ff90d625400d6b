import { RE2JS } from "re2js";
import type { AstNode as AnyNode } from "regjsparser";
import regjsparser from "regjsparser";
import { ConfigError } from "../core/errors.js";
import { catastrophicBacktracking } from "./backtracking.js";

/**
 * A failure signature, matched against every output line of every cell. The harness matches it
 * with RE2 (re2js, a port of Google's engine): time linear in the line, whatever the pattern, so
 * no log line can stall the run or keep Ctrl-C waiting. JavaScript's backtracking engine still
 * marks matches in the HTML report, in the browser; so a signature must read the same in both
 * (no lookarounds or backreferences, which RE2 lacks) and pass the backtracking checker.
 */
class Signature {
  /** The compiled pattern; private (#), so that a plain RegExp cannot pass for a Signature. */
  readonly #re: RE2JS;

  constructor(
    readonly source: string,
    re: RE2JS,
  ) {
    this.#re = re;
  }

  /** Whether the line contains a match (anywhere: signatures are unanchored unless they say ^ or $). */
  test(line: string): boolean {
    return this.#re.test(line);
  }

  /**
   * RE2's program size, its measure of a pattern's cost: matching a line of n characters takes
   * at most about n × cost steps (when RE2's fast automaton gives up and it simulates them all).
   */
  get cost(): number {
    return this.#re.programSize();
  }
}

/** Only compileSignature makes one, after the checks. */
export type { Signature };

/**
 * The RE2 program size all of a scenario's signatures may add up to. Literal text costs one unit
 * a character and matches at automaton speed whatever its length; what costs is a counted
 * repetition that RE2's automaton cannot cache (`Err[ab]*a[ab]{185}!`), where it simulates every
 * state at once: measured on this project's 2-core machine under load, 0.4-0.8 s for a 64 KiB
 * line (what a pipe or the engine delivers at once) at this budget, twice that at 400. Typical
 * signatures take well under a millisecond. So a few streams delivering at once still leave
 * Ctrl-C answered within about 2 s.
 */
export const SIGNATURE_BUDGET = 200;

/** Characters that every match must contain literally; fewer, and the signature matches lines that have nothing to do with the failure. */
export const MIN_LITERALS = 3;

/** Why `source` is refused as a signature, as the rest of a sentence that names it; undefined when it is fine. */
export function signatureProblem(source: string): string | undefined {
  let js: RegExp;
  try {
    js = new RegExp(source);
  } catch (err) {
    return `not a valid regular expression (${(err as Error).message})`;
  }
  const quoted = JSON.stringify(source);
  try {
    // Unicode mode refuses what JavaScript would read as a letter and RE2 as an operator
    // (\Q..\E, \pL, [[:alpha:]]): a signature must mean one thing in both.
    new RegExp(source, "u");
  } catch (err) {
    return `${quoted} could read differently in RE2 and JavaScript (in Unicode mode: ${(err as Error).message}); escape only punctuation, and write out \\Q..\\E, [[:class:]] and lone { } ]`;
  }
  const ast = parse(source);
  if (!ast) return `${quoted} cannot be analysed for its literal text and backtracking; write it more plainly`;
  const lacking = notInRe2(ast);
  if (lacking) return `${quoted} uses ${lacking}, which the linear-time matcher (RE2) does not have; write the text itself`;
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    return `${quoted} is not RE2 syntax, which the harness matches with (${(err as Error).message})`;
  }
  if (js.test("") || re.test(""))
    return `${quoted} matches an empty line, so every cell would count as reproduced; give the text the failure prints`;
  const bad = catastrophicBacktracking(source);
  if (bad) return `${quoted} can backtrack catastrophically on a long log line (${bad.why}); ${bad.fix}`;
  const literals = literalCount(ast);
  if (literals < MIN_LITERALS)
    return `${quoted} can match with ${literals} literal character${literals === 1 ? "" : "s"} (it needs at least ${MIN_LITERALS} that every match contains, e.g. "Error" rather than "\\w"), so it would match lines that have nothing to do with the failure; give the text the failure prints`;
  if (re.programSize() > SIGNATURE_BUDGET)
    return `${quoted} costs ${re.programSize()} (RE2 program size), over the ${SIGNATURE_BUDGET} all signatures share so that a long log line is matched in bounded time; use fewer or smaller counted repetitions such as [ab]{50}`;
  return undefined;
}

/** A signature ready to match; refuses (ConfigError) what signatureProblem refuses. */
export function compileSignature(source: string): Signature {
  const problem = signatureProblem(source);
  if (problem) throw new ConfigError(`signature ${JSON.stringify(source)}: ${problem}`);
  return new Signature(source, RE2JS.compile(source));
}

/** The RE2 program size of a signature that signatureProblem accepted. */
export const signatureCost = (source: string) => RE2JS.compile(source).programSize();

/** Unicode mode, as required above: \p{Lu} is a class here as in RE2, not the letters p{Lu}. */
const FEATURES = { lookbehind: true, namedGroups: true, unicodePropertyEscape: true } as const;
type AstNode = AnyNode<typeof FEATURES>;

/** The pattern as JavaScript reads it; undefined when the parser the checks rely on cannot read it (refused rather than guessed at). */
function parse(source: string): AstNode | undefined {
  try {
    return regjsparser.parse(source, "u", FEATURES);
  } catch {
    return undefined;
  }
}

/** The first part of the pattern RE2 lacks (lookarounds, backreferences), named, if any. */
function notInRe2(node: AstNode): string | undefined {
  if (node.type === "reference") return `the backreference ${node.raw}`;
  if (node.type === "group" && node.behavior !== "normal" && node.behavior !== "ignore")
    return `the ${/lookbehind/i.test(node.behavior) ? "lookbehind" : "lookahead"} ${node.raw}`;
  const structural = node.type === "alternative" || node.type === "group" || node.type === "disjunction" || node.type === "quantifier";
  for (const child of structural ? (node.body as AstNode[]) : []) {
    const found = notInRe2(child);
    if (found) return found;
  }
  return undefined;
}

/** The fewest literal characters (escapes such as \. included, classes and . not) a match of the pattern contains. */
function literalCount(node: AstNode): number {
  switch (node.type) {
    case "value":
      return 1;
    case "alternative":
      return node.body.reduce((sum, n) => sum + literalCount(n), 0);
    case "group":
      return node.behavior === "normal" || node.behavior === "ignore" ? node.body.reduce((sum, n) => sum + literalCount(n), 0) : 0;
    case "disjunction":
      return Math.min(...node.body.map(literalCount));
    case "quantifier":
      return node.min * literalCount(node.body[0] as AstNode);
    default:
      return 0;
  }
}
