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
  let s = line;
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
