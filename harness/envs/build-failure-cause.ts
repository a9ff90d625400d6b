/** pip colours its errors with ANSI escapes; they would only get in the way of matching. */
export const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Docker's own message only repeats the RUN line; pip's output says which package broke and how. */
export function buildFailureCause(lines: string[]): string | undefined {
  const failedWheel = lines
    .find((l) => /Failed (building wheel for|to build) /.test(l))
    ?.trim()
    .replace(/^ERROR:\s*/, "");
  const compileError = lines.find((l) => /: error: /.test(l))?.trim();
  if (failedWheel) return compileError ? `${failedWheel} (${compileError.slice(0, 160)})` : failedWheel;
  return lines.findLast((l) => /^\s*(ERROR:|error:|\S*Error:)/.test(l))?.trim();
}
