import { parseArgs } from "node:util";
import { ConfigError } from "../core/errors.js";
import { defaultCacheDir } from "../core/settings.js";
import { runChecks } from "../doctor/checks.js";
import { doctorExitCode, formatChecks } from "../doctor/report.js";
import { RUNTIME_CHOICES, type RuntimeChoice } from "../runtimes/registry.js";

/** A line for main's usage text, indented like its continuation lines. */
export const DOCTOR_USAGE = `       repro-matrix doctor [--config matrix.yaml] [--cache-dir .cache] [--runtime ${RUNTIME_CHOICES.join("|")}]   (check engine, disk, Pythons, tools and index; print the fix for each problem; exit 1 if any check fails)`;

/**
 * `doctor`: every check prints a line, problems with their fix. Exit 0 when nothing failed
 * (warnings allowed), 1 when something did; a bad config is one of the failed checks, not exit 2.
 */
export async function doctorCommand(args: string[]): Promise<number> {
  let values: { config: string; "cache-dir": string; runtime: string };
  try {
    values = parseArgs({
      args,
      options: {
        config: { type: "string", default: "matrix.yaml" },
        "cache-dir": { type: "string", default: defaultCacheDir() },
        runtime: { type: "string", default: "auto" },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; usage: ${DOCTOR_USAGE.trim()}`);
  }
  const runtime = values.runtime as RuntimeChoice;
  if (!RUNTIME_CHOICES.includes(runtime))
    throw new ConfigError(`--runtime: "${values.runtime}" is not one of ${RUNTIME_CHOICES.join(", ")}`);
  const checks = await runChecks({ configFile: values.config, cacheDir: values["cache-dir"], runtime });
  process.stdout.write(formatChecks(checks));
  return doctorExitCode(checks);
}
