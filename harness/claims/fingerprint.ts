import type { CellRecord } from "../cell/record.js";

/**
 * The first error of a cell that failed without the signature, with everything that differs
 * between runs of the same failure normalized away (object reprs, addresses, paths, ids, ports,
 * line numbers), so cells that failed the same way group together and a new kind stands out.
 * Clean and reproduced cells have none.
 */
export function failureFingerprint(c: Pick<CellRecord, "outcome" | "reason" | "evidence">): string | undefined {
  if (c.outcome === "clean" || c.outcome === "reproduced") return undefined;
  const traceback = c.evidence.firstOtherTraceback ?? [];
  const exceptionLine = [...traceback].reverse().find((l) => /^[A-Za-z_][\w.]*(: |$)/.test(l.trim()));
  return normalizeError(exceptionLine?.trim() ?? c.reason);
}

/** Exported for tests: the normalization on its own. */
export function normalizeError(line: string): string {
  let s = sameCause(line);
  // Object reprs nest (<Task ... <Future ...>>): collapse innermost first until none are left.
  for (let before = ""; before !== s; ) {
    before = s;
    s = s.replace(/<[^<>]*>/g, "\u2039\u203a");
  }
  return (
    s
      .replaceAll("\u2039\u203a", "<…>")
      .replace(/0x[0-9a-fA-F]+/g, "0x…")
      // Absolute paths (the venv, a temp app folder) differ per runtime and run.
      // Not "7/8": a path starts where no word does, and names something with a letter in it.
      .replace(/(?<![\w.])(?:[A-Za-z]:)?(?:\/[\w.@+-]*[A-Za-z_][\w.@+-]*)+\/?/g, "<path>")
      // Ports, pids, fds, line numbers: numbers that are not part of a version such as 3.10.
      .replace(/(?<![\w.])\d+(?!x|[\w.]*\d*\.\d)/g, "N")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 300)
  );
}

/**
 * Wording that differs while the cause does not: Python 3.10+ appends hints to the same error
 * ("... has no attribute 'coroutine'. Did you mean: 'coroutines'?"), and one sdist that does not
 * compile is reported by pip, uv, the image build and the venv install in different words, with or
 * without the compiler's line (which names a generated file's line and differs per Python).
 */
function sameCause(line: string): string {
  // "uvicorn[standard]==0.40.0 requires Python>=3.10", once per release: one cause, the release is in the cell.
  const hintless = line.replace(HINT, "").replace(REQUIRES_PYTHON, "$1 requires Python");
  const build = BUILD_FAILURE.exec(hintless.trim());
  if (!build) return hintless;
  // The compiler's detail in parentheses goes; an error that says why (a missing README) stays.
  const rest = (build[2] ?? "").replace(/^\s*\(.*\)\s*$/, "");
  return `cannot build ${build[1]}${rest}`;
}

const REQUIRES_PYTHON = /^([A-Za-z0-9][\w.-]*(?:\[[^\]]*\])?)==\S+ requires Python/;

/** Interpreter hints: "Did you mean: 'x'?", "Did you mean 'x'?", "Did you forget to import 'x'?". */
const HINT = /\.?\s*(?:Or d|D)id you (?:mean|forget to import)\b[^?]*\?/g;

/**
 * A package that failed to build, in any of its wordings and behind either runtime's prefix; the
 * version goes too (the cell's own version is in the report's Versions column). Group 1 is the
 * package, group 2 whatever follows.
 */
const BUILD_FAILURE =
  /^(?:(?:image build|venv install|install) failed:\s*)?(?:ERROR:\s*)?(?:Failed building wheel for|Failed to build|cannot build)\s+`?([A-Za-z0-9][\w.-]*?)(?:\[[^\]]*\])?(?:[=<>!~]=?[^\s`:()]*)?`?(?=$|[\s:(])(.*)$/;
