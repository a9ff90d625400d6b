import { join } from "node:path";
import { z } from "zod";
import { loadScenario } from "../../config/load.js";
import { rerenderReport } from "../../run/run-matrix.js";
import { interruptible } from "../interrupt.js";
import { checkInputFile, checkReportFolder } from "../paths.js";

const ReportFlags = z.strictObject({
  config: z.string(),
  out: z.string(),
  repair: z.boolean().optional(),
  /** false with --no-wait. */
  wait: z.boolean(),
  quiet: z.boolean().optional(),
});

export async function reportAction(flags: unknown): Promise<number> {
  const f = ReportFlags.parse(flags);
  await checkInputFile("--config", f.config);
  const scenario = await loadScenario(f.config);
  const dir = join(f.out, scenario.scenario);
  await checkReportFolder("--out", dir);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let file = "";
  // Interruptible: it may wait for a run that holds the report folder.
  const exit = await interruptible(async (signal) => {
    file = await rerenderReport(dir, { repair: Boolean(f.repair), noWait: !f.wait, signal, say });
  }, say);
  if (exit === 0 && !f.quiet) say(`report ${file}`);
  return exit;
}
