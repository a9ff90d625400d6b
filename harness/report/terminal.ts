import type { Writable } from "node:stream";
import { Progress } from "./progress.js";
import { plainReporter } from "./progress-plain.js";
import type { ProgressReporter } from "./progress-reporter.js";
import { type TtyStream, ttyReporter } from "./progress-tty.js";

/**
 * Where a live display makes sense: a terminal with a size (a pty without one, as `script` makes,
 * reports 0 columns), not CI's (CI=true renders redraws as noise), and not a dumb one.
 */
export function wantsLiveDisplay(out: { isTTY?: boolean; columns?: number; rows?: number }, env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI !== undefined && env.CI !== "" && env.CI !== "false" && env.CI !== "0";
  const sized = (out.columns ?? 0) > 0 && (out.rows ?? 0) > 0;
  return Boolean(out.isTTY) && sized && !ci && env.TERM !== "dumb";
}

/**
 * The run's progress on `out` (stderr): a live display on a terminal, one line per cell in
 * logs, or with `quiet` nothing but the notices (an interrupt, a warning).
 */
export function progressReporter(
  out: TtyStream & { isTTY?: boolean },
  o: { quiet?: boolean; env?: NodeJS.ProcessEnv } = {},
): ProgressReporter {
  if (o.quiet) return quietReporter(out);
  return wantsLiveDisplay(out, o.env) ? ttyReporter(out, new Progress()) : plainReporter(out);
}

function quietReporter(out: Writable): ProgressReporter {
  return {
    onEvent() {},
    notice: (line) => {
      out.write(`${line}\n`);
    },
    [Symbol.dispose]() {},
  };
}
