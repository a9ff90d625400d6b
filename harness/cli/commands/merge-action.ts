import { z } from "zod";
import { mergeDirs } from "../../run/merge-dirs.js";
import { interruptible } from "../interrupt.js";
import { checkInputFolder, checkOutputFolder } from "../paths.js";

const MergeFlags = z.strictObject({
  out: z.string(),
  /** false with --no-wait. */
  wait: z.boolean(),
  quiet: z.boolean().optional(),
});

export async function mergeAction(dirs: unknown, flags: unknown): Promise<number> {
  const f = MergeFlags.parse(flags);
  const shards = z.array(z.string()).parse(dirs);
  for (const dir of shards) await checkInputFolder("merge", dir);
  await checkOutputFolder("--out", f.out);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  // Interruptible: it may wait for a run that holds a destination folder.
  return interruptible(async (signal) => {
    for (const dir of await mergeDirs(shards, f.out, { noWait: !f.wait, signal, say })) if (!f.quiet) say(`merged ${dir}/README.md`);
  }, say);
}
