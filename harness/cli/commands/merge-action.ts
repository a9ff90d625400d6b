import { z } from "zod";
import { mergeDirs } from "../../run/merge-dirs.js";
import { checkInputFolder, checkOutputFolder } from "../paths.js";

const MergeFlags = z.strictObject({ out: z.string(), quiet: z.boolean().optional() });

export async function mergeAction(dirs: unknown, flags: unknown): Promise<number> {
  const f = MergeFlags.parse(flags);
  const shards = z.array(z.string()).parse(dirs);
  for (const dir of shards) await checkInputFolder("merge", dir);
  await checkOutputFolder("--out", f.out);
  for (const dir of await mergeDirs(shards, f.out)) if (!f.quiet) process.stderr.write(`merged ${dir}/README.md\n`);
  return 0;
}
