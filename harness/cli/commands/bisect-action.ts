import { z } from "zod";
import { runBisect } from "../../bisect/run-bisect.js";
import { loadScenario } from "../../config/load.js";
import { RUNTIME_CHOICES } from "../../runtimes/registry.js";
import { interruptible } from "../interrupt.js";
import { checkInputFile, checkOutputFolder } from "../paths.js";

const BisectFlags = z.strictObject({
  where: z.string(),
  package: z.string().optional(),
  versions: z.string().optional(),
  affected: z.string().optional(),
  crossCheck: z.boolean().optional(),
  config: z.string(),
  runtime: z.enum(RUNTIME_CHOICES),
  cacheDir: z.string(),
});

/** The trail goes to stdout (it is the result); 130 when interrupted. */
export async function bisectAction(flags: unknown): Promise<number> {
  const f = BisectFlags.parse(flags);
  await checkInputFile("--config", f.config);
  await checkOutputFolder("--cache-dir", f.cacheDir);
  const scenario = await loadScenario(f.config);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  return interruptible(
    async (signal) => {
      await runBisect({
        scenario,
        configFile: f.config,
        where: f.where,
        ...(f.package ? { package: f.package } : {}),
        ...(f.versions ? { versions: f.versions } : {}),
        ...(f.affected ? { affected: f.affected } : {}),
        runtime: f.runtime,
        cacheDir: f.cacheDir,
        crossCheck: Boolean(f.crossCheck),
        signal,
        say,
      });
    },
    (line) => process.stderr.write(`\n${line}\n`),
  );
}
