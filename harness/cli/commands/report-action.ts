import { join } from "node:path";
import { z } from "zod";
import { loadScenario } from "../../config/load.js";
import { rerenderReport } from "../../run/run-matrix.js";
import { checkInputFile, checkReportFolder } from "../paths.js";

const ReportFlags = z.strictObject({ config: z.string(), out: z.string(), quiet: z.boolean().optional() });

export async function reportAction(flags: unknown): Promise<number> {
  const f = ReportFlags.parse(flags);
  await checkInputFile("--config", f.config);
  const scenario = await loadScenario(f.config);
  const dir = join(f.out, scenario.scenario);
  await checkReportFolder("--out", dir);
  const file = await rerenderReport(dir);
  if (!f.quiet) process.stderr.write(`report ${file}\n`);
  return 0;
}
