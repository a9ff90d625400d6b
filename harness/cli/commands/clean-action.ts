import { z } from "zod";
import { RUNTIMES } from "../../runtimes/registry.js";

const CleanFlags = z.strictObject({ images: z.boolean().optional(), quiet: z.boolean().optional() });

/** Every runtime that keeps something of the harness's outside the cache folder removes it. */
export async function cleanAction(flags: unknown): Promise<number> {
  const f = CleanFlags.parse(flags);
  for (const entry of RUNTIMES) {
    const said = await (await entry.load()).clean?.({ images: Boolean(f.images) });
    if (said && !f.quiet) process.stderr.write(`${said}\n`);
  }
  return 0;
}
