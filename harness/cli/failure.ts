import { EngineUnresponsiveError, HarnessError } from "../core/errors.js";
import { diskFull } from "../core/machine-errors.js";

/** How a failed command ends: one line on stderr, an exit code, and whether to leave at once. */
export interface Failure {
  line: string;
  exitCode: number;
  /** Calls a hung engine never answers may keep the process alive: leave without waiting for them. */
  exitNow: boolean;
}

/** The exit code of a fault that is not the harness's own: a bug, said in one line. */
export const BUG_EXIT_CODE = 1;

const firstLine = (text: string) => text.split("\n", 1)[0] ?? "";

/**
 * Every way a command can fail, as one line: harness errors keep their message and exit code
 * (2: a bad input or a missing prerequisite), a full disk says where and what to do, a file
 * system error names its path and is the user's to fix (2), and anything else is a bug (1), in
 * one line too: a stack trace says nothing to a user. REPRO_MATRIX_DEBUG=1 adds the stack.
 */
export function describeFailure(err: unknown, debug = Boolean(process.env.REPRO_MATRIX_DEBUG)): Failure {
  const known = err instanceof HarnessError ? err : diskFull(err);
  if (known) return { line: known.message, exitCode: known.exitCode, exitNow: known instanceof EngineUnresponsiveError };
  const e = err as NodeJS.ErrnoException | undefined;
  if (typeof e?.code === "string" && typeof e.path === "string") {
    // Node says "EACCES: permission denied, mkdir '/x'": keep the words, name the path first.
    const what = new RegExp(`^${e.code}: ([^,]*)`).exec(e.message)?.[1] ?? e.code;
    return { line: `${e.path}: ${e.syscall ? `${e.syscall} failed: ` : ""}${what} (${e.code})`, exitCode: 2, exitNow: false };
  }
  const message = err instanceof Error ? `${err.name}: ${firstLine(err.message)}` : String(err);
  const stack = debug && err instanceof Error && err.stack ? `\n${err.stack}` : "";
  return {
    line: `internal error, a bug of the harness: ${message} (REPRO_MATRIX_DEBUG=1 shows where)${stack}`,
    exitCode: BUG_EXIT_CODE,
    exitNow: false,
  };
}
