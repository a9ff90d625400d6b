import type { AstNode as AnyNode, RootNode } from "regjsparser";
import regjsparser from "regjsparser";

/** Signatures are compiled without flags; lookbehind and named groups parse as JavaScript reads them. */
const FEATURES = { lookbehind: true, namedGroups: true } as const;
type AstNode = AnyNode<typeof FEATURES>;

/** Why a signature can backtrack badly, and how to write it instead. */
export interface Backtracking {
  why: string;
  fix: string;
}

/**
 * Finds signatures that a backtracking engine (JavaScript's, which marks matches in the HTML
 * report; the harness itself matches with RE2, in linear time) would take exponential or high
 * polynomial time on. One line of old software's log against `(a+)+$` took minutes, and one
 * Gunicorn line against `Error.*.*.*.*.*.*:X` 17 s, with the CLI deaf to Ctrl-C meanwhile. Two
 * shapes are refused:
 * - a repetition whose body can match the same text in more than one way: a quantifier inside a
 *   repetition that can run into itself (`(a+)+`, `(\w+\s?)*`), or alternatives that can match
 *   the same text (`(\w|\d)+`): exponential;
 * - two unbounded quantifiers with only optional parts between them that can take the same
 *   characters (`.*.*`, `a*a*b`, `\w+\s*\w+`): each added one multiplies the ways to split a
 *   line, a polynomial of that degree.
 *
 * A single unbounded quantifier before a literal (`.*x.*`) is allowed: that is the common
 * signature, quadratic at worst in a backtracking engine. Character sets are compared on a
 * sample of characters (ASCII, Latin-1, a few others), each atom tested with the engine itself,
 * so escapes and classes mean exactly what they mean at run time.
 *
 * Libraries weighed: recheck (exact, but ~57 MB with its native and JVM builds and 0.1-1 s per
 * pattern, timing out on `Traceback.*Event loop is closed`), redos-detector (reports every
 * unanchored `\d+` as unsafe), safe-regex2 (star height only: misses `(\w|\d)+`, refuses
 * `(?:\w+\.)+Error` and every lookbehind). So: regjsparser's exact AST, and this analysis.
 */
export function catastrophicBacktracking(source: string): Backtracking | undefined {
  let root: RootNode<typeof FEATURES>;
  try {
    root = regjsparser.parse(source, "", FEATURES);
  } catch {
    return undefined; // Not ours to judge: `new RegExp` reports syntax errors in its own words.
  }
  const analysis = new Analysis();
  const adjacent = analysis.adjacent(root);
  if (adjacent) return { why: adjacent, fix: "keep one of them, e.g. .*x rather than .*.*x" };
  const nested = analysis.walk(root, NONE, undefined);
  return nested ? { why: nested, fix: "write it so each character can match one way only, e.g. a+$ rather than (a+)+$" } : undefined;
}

type Chars = bigint;
const NONE: Chars = 0n;

/** The characters an atom is tested on; a shared bit means the two atoms can match one character. */
const SAMPLE = [
  ...Array.from({ length: 0x180 }, (_, i) => String.fromCharCode(i)),
  ..."\u2028\u2029\u3000\ufeff\u03b1\u0416\u4e2d\ud83d\ude00",
];
function charsOf(raw: string, atomCache: Map<string, Chars>): Chars {
  let bits = atomCache.get(raw);
  if (bits === undefined) {
    const re = new RegExp(`^(?:${raw})$`);
    bits = SAMPLE.reduce((acc, ch, i) => (re.test(ch) ? acc | (1n << BigInt(i)) : acc), NONE);
    atomCache.set(raw, bits);
  }
  return bits;
}
const ANY: Chars = (1n << BigInt(SAMPLE.length)) - 1n;

/** A step of an alternative as a sequence of single characters; `open` ends what is known. */
type Step = { chars: Chars; open: boolean };

class Analysis {
  /** Atoms already sampled, for this pattern only (a pattern repeats its atoms; patterns rarely share them). */
  private readonly atoms = new Map<string, Chars>();
  private readonly firsts = new Map<AstNode, Chars>();
  private readonly nullables = new Map<AstNode, boolean>();

  /** Characters a non-empty match of `node` can start with. */
  first(node: AstNode): Chars {
    let bits = this.firsts.get(node);
    if (bits === undefined) {
      bits = this.computeFirst(node);
      this.firsts.set(node, bits);
    }
    return bits;
  }

  private computeFirst(node: AstNode): Chars {
    switch (node.type) {
      case "value":
      case "characterClass":
      case "characterClassEscape":
      case "dot":
        return charsOf(node.raw, this.atoms);
      case "alternative":
        return this.firstOfSequence(node.body);
      case "group":
        return node.behavior === "normal" || node.behavior === "ignore" ? this.firstOfSequence(node.body) : NONE;
      case "disjunction":
        return node.body.reduce((acc, alt) => acc | this.first(alt), NONE);
      case "quantifier":
        return node.max === 0 ? NONE : this.first(node.body[0]);
      case "reference":
        return ANY; // whatever the group matched: assume the worst
      default:
        return NONE; // anchors and lookarounds match no character
    }
  }

  /** Characters a non-empty match of `node` can end with (what `first` is for the start). */
  last(node: AstNode): Chars {
    switch (node.type) {
      case "alternative":
        return this.lastOfSequence(node.body);
      case "group":
        return isPlainGroup(node) ? this.lastOfSequence(node.body) : NONE;
      case "disjunction":
        return node.body.reduce((acc, alt) => acc | this.last(alt), NONE);
      case "quantifier":
        return node.max === 0 ? NONE : this.last(node.body[0]);
      default:
        return this.first(node);
    }
  }

  private lastOfSequence(nodes: readonly AstNode[]): Chars {
    let bits = NONE;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i] as AstNode;
      bits |= this.last(n);
      if (!this.nullable(n)) return bits;
    }
    return bits;
  }

  /**
   * Characters an unbounded quantifier inside `node` can take at the start of `node` (`edge`
   * "head", everything before it optional) or at its end ("tail", everything after it optional).
   */
  private loopsAt(node: AstNode, edge: "head" | "tail"): Chars {
    switch (node.type) {
      case "alternative":
        return this.loopsOfSequence(node.body, edge);
      case "group":
        return isPlainGroup(node) ? this.loopsOfSequence(node.body, edge) : NONE;
      case "disjunction":
        return node.body.reduce((acc, alt) => acc | this.loopsAt(alt, edge), NONE);
      case "quantifier": {
        const body = node.body[0];
        if (node.max === 0 || !body) return NONE;
        const own = node.max === undefined ? (edge === "head" ? this.first(body) : this.last(body)) : NONE;
        return own | this.loopsAt(body, edge);
      }
      default:
        return NONE;
    }
  }

  private loopsOfSequence(nodes: readonly AstNode[], edge: "head" | "tail"): Chars {
    const ordered = edge === "head" ? nodes : [...nodes].reverse();
    let bits = NONE;
    for (const n of ordered) {
      bits |= this.loopsAt(n, edge);
      if (!this.nullable(n)) return bits;
    }
    return bits;
  }

  /**
   * Why two unbounded quantifiers in a row (with only optional parts between them) can split
   * the same characters between them, wherever in the pattern they are; undefined when none can.
   */
  adjacent(node: AstNode): string | undefined {
    const children = node.type === "quantifier" ? node.body : "body" in node && Array.isArray(node.body) ? (node.body as AstNode[]) : [];
    if (node.type === "alternative" || (node.type === "group" && isPlainGroup(node))) {
      for (let i = 0; i < children.length; i++) {
        const tail = this.loopsAt(children[i] as AstNode, "tail");
        for (let j = i + 1; tail !== NONE && j < children.length; j++) {
          const next = children[j] as AstNode;
          if ((tail & this.loopsAt(next, "head")) !== NONE)
            return `${show(children[i])} and ${show(next)} can split the same characters between them in many ways`;
          if (!this.nullable(next)) break;
        }
      }
    }
    for (const child of children) {
      const why = this.adjacent(child);
      if (why) return why;
    }
    return undefined;
  }

  nullable(node: AstNode): boolean {
    let n = this.nullables.get(node);
    if (n === undefined) {
      n = this.computeNullable(node);
      this.nullables.set(node, n);
    }
    return n;
  }

  private computeNullable(node: AstNode): boolean {
    switch (node.type) {
      case "value":
      case "characterClass":
      case "characterClassEscape":
      case "dot":
        return false;
      case "alternative":
        return node.body.every((n) => this.nullable(n));
      case "group":
        return node.behavior === "normal" || node.behavior === "ignore" ? node.body.every((n) => this.nullable(n)) : true;
      case "disjunction":
        return node.body.some((alt) => this.nullable(alt));
      case "quantifier":
        return node.min === 0 || this.nullable(node.body[0]);
      default:
        return true;
    }
  }

  private firstOfSequence(nodes: readonly AstNode[], follow: Chars = NONE): Chars {
    let bits = NONE;
    for (const n of nodes) {
      bits |= this.first(n);
      if (!this.nullable(n)) return bits;
    }
    return bits | follow;
  }

  /**
   * Walks the pattern with `follow`, the characters that can come right after `node` inside the
   * outermost repetition (a repetition's end wraps to its own start), and returns why the first
   * ambiguous repetition found can backtrack exponentially. `loop` is the innermost enclosing
   * repetition, if any.
   */
  walk(node: AstNode, follow: Chars, loop: string | undefined): string | undefined {
    switch (node.type) {
      case "alternative":
        return this.walkSequence(node.body, follow, loop);
      case "group":
        // A lookaround checks a prefix of what follows: nothing has to come after its body.
        return this.walkSequence(node.body, node.behavior === "normal" || node.behavior === "ignore" ? follow : NONE, loop);
      case "disjunction": {
        if (loop) {
          const steps = node.body.map((alt) => this.steps(alt, follow));
          for (let i = 0; i < steps.length; i++)
            for (let j = i + 1; j < steps.length; j++)
              if (this.clash(steps[i] as Step[], steps[j] as Step[], follow))
                return `${show(node.body[i])} and ${show(node.body[j])} inside ${loop} can match the same text`;
        }
        for (const alt of node.body) {
          const why = this.walk(alt, follow, loop);
          if (why) return why;
        }
        return undefined;
      }
      case "quantifier": {
        const body = node.body[0];
        const max = node.max ?? Number.POSITIVE_INFINITY;
        // Only what follows inside an enclosing repetition can make this one ambiguous; what
        // follows the outermost one costs a polynomial at most.
        const after = loop ? follow : NONE;
        // A count that varies (a+, a?, a{2,5}) may leave characters to what follows it: when that
        // can take them too, each repetition of the enclosing loop doubles the ways to try.
        if (loop && max > node.min && (this.first(body) & after) !== NONE)
          return `${node.raw} inside ${loop} can take the same characters as what follows it`;
        const repeats = max > 1;
        return this.walk(body, repeats ? this.first(body) | after : after, repeats ? (loop ?? node.raw) : loop);
      }
      default:
        return undefined;
    }
  }

  private walkSequence(nodes: readonly AstNode[], follow: Chars, loop: string | undefined): string | undefined {
    for (let i = 0; i < nodes.length; i++) {
      const why = this.walk(nodes[i] as AstNode, this.firstOfSequence(nodes.slice(i + 1), follow), loop);
      if (why) return why;
    }
    return undefined;
  }

  /** An alternative as single characters while it is that simple, then one open step. */
  private steps(alt: AstNode, follow: Chars): Step[] {
    const out: Step[] = [];
    const flat = this.flatten(alt);
    for (let i = 0; i < flat.length; i++) {
      const n = flat[i] as AstNode;
      if (n.type === "anchor" || (n.type === "group" && n.behavior !== "normal" && n.behavior !== "ignore")) continue;
      if (n.type === "quantifier" && n.min === n.max && isAtom(n.body[0]) && out.length + n.min <= 64) {
        for (let k = 0; k < n.min; k++) out.push({ chars: this.first(n.body[0]), open: false });
        continue;
      }
      if (isAtom(n)) out.push({ chars: this.first(n), open: false });
      else {
        out.push({ chars: this.firstOfSequence(flat.slice(i), follow), open: true });
        break;
      }
    }
    return out;
  }

  /** Inline groups that hold one sequence, so `(?:ab)c` reads as a, b, c. */
  private flatten(node: AstNode): AstNode[] {
    if (node.type === "alternative") return node.body.flatMap((n) => this.flatten(n));
    if (node.type === "group" && (node.behavior === "normal" || node.behavior === "ignore"))
      return node.body.length === 1 && node.body[0]?.type === "disjunction" ? [node] : node.body.flatMap((n) => this.flatten(n));
    return [node];
  }

  /**
   * Whether two alternatives can match the same text, or one can end where the other goes on
   * with what may follow both: then a repetition of them splits a line more than one way.
   */
  private clash(a: Step[], b: Step[], follow: Chars): boolean {
    for (let i = 0; ; i++) {
      const [x, y] = [a[i], b[i]];
      if (!x && !y) return true;
      if (!x) return ((y as Step).chars & follow) !== NONE;
      if (!y) return (x.chars & follow) !== NONE;
      if ((x.chars & y.chars) === NONE) return false;
      if (x.open || y.open) return true;
    }
  }
}

const show = (n: AstNode | undefined) => n?.raw || "(nothing)";

/** A group that matches text (capturing or not), as opposed to a lookaround. */
const isPlainGroup = (n: AstNode & { type: "group" }) => n.behavior === "normal" || n.behavior === "ignore";

function isAtom(n: AstNode | undefined): boolean {
  return n !== undefined && (n.type === "value" || n.type === "characterClass" || n.type === "characterClassEscape" || n.type === "dot");
}
