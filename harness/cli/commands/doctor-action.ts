import { z } from "zod";
import { runChecks } from "../../doctor/checks.js";
import { doctorExitCode, formatChecks } from "../../doctor/report.js";
import { RUNTIME_CHOICES } from "../../runtimes/registry.js";
import { checkInputFile, checkOutputFolder } from "../paths.js";

const DoctorFlags = z.strictObject({
  config: z.string(),
  cacheDir: z.string(),
  runtime: z.enum(RUNTIME_CHOICES),
  json: z.boolean().optional(),
});

/**
 * `doctor`: every check prints a line, problems with their fix. Exit 0 when nothing failed
 * (warnings allowed), 1 when something did; a bad or missing config is one of the failed checks,
 * but a path that would hang or harm (a FIFO, /proc) is refused first, exit 2.
 */
export async function doctorAction(flags: unknown): Promise<number> {
  const f = DoctorFlags.parse(flags);
  await checkInputFile("--config", f.config, { missingOk: true });
  await checkOutputFolder("--cache-dir", f.cacheDir);
  const checks = await runChecks({ configFile: f.config, cacheDir: f.cacheDir, runtime: f.runtime });
  const exitCode = doctorExitCode(checks);
  process.stdout.write(f.json ? `${JSON.stringify({ ok: exitCode === 0, checks }, null, 2)}\n` : formatChecks(checks));
  return exitCode;
}
