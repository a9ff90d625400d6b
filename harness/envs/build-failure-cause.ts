/** pip colours its errors with ANSI escapes; they would only get in the way of matching. */
export const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * A compiler's diagnostic as gcc and clang print it: `file.c:196:12: fatal error: longintrepr.h: …`
 * or `file.c:8977:51: error: …`. Anchored on the file:line position, so pip's own "error:" lines
 * (`error: subprocess-exited-with-error`, `error: Command '[…gcc…]' returned …`) never count.
 */
const COMPILER_ERROR = /^\s*[^\s:]+:\d+(?::\d+)?: (?:fatal error|error): /;

/**
 * Docker's own message only repeats the RUN line; pip's output says which package broke and how.
 * The compiler's first error is the cause: later ones are mostly its consequences, and a missing
 * header (`fatal error:`) stops the compiler before any `error:` is printed at all.
 */
export function buildFailureCause(lines: string[]): string | undefined {
  const failedWheel = lines
    .find((l) => /Failed (building wheel for|to build) /.test(l))
    ?.trim()
    .replace(/^ERROR:\s*/, "");
  const compileError = lines.find((l) => COMPILER_ERROR.test(l))?.trim();
  if (failedWheel) return compileError ? `${failedWheel} (${compileError.slice(0, 160)})` : failedWheel;
  return lines.findLast((l) => /^\s*(ERROR:|error:|\S*Error:)/.test(l))?.trim();
}
