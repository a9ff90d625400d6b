import type { Check } from "../core/check.js";

const LABEL = { ok: "ok  ", warn: "warn", fail: "FAIL" } as const;
const INDENT = " ".repeat(6);

/** One line per check, `ok|warn|FAIL  <name>: <detail>`, and under each problem its fix. */
export function formatChecks(checks: Check[]): string {
  return checks
    .map((c) => {
      const line = `${LABEL[c.status]}  ${c.name}: ${c.detail}`;
      return c.fix && c.status !== "ok" ? `${line}\n${INDENT}fix: ${c.fix}` : line;
    })
    .join("\n")
    .concat("\n");
}

/** 1 when any check failed; warnings alone do not fail doctor. */
export const doctorExitCode = (checks: Check[]): number => (checks.some((c) => c.status === "fail") ? 1 : 0);
