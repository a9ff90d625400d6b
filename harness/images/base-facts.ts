import { z } from "zod";
import type { Runtime } from "../runtimes/runtime.js";

/** What the base image really holds; locks and wheel choices follow these, not the asked version. */
export const BaseFacts = z.strictObject({
  python: z.string().regex(/^\d+\.\d+\.\d+/),
  glibc: z.string().regex(/^\d+\.\d+$/),
  arch: z.enum(["x86_64", "aarch64"]),
});
export type BaseFacts = z.infer<typeof BaseFacts>;

const SCRIPT = "import platform; print(platform.python_version()); print(platform.libc_ver()[1]); print(platform.machine())";

export async function readBaseFacts(runtime: Runtime, image: string, signal: AbortSignal): Promise<BaseFacts> {
  const r = await runtime.exec(image, ["python3", "-c", SCRIPT], signal);
  if (r.exitCode !== 0) throw new Error(`${image}: python3 did not run (${r.stderr.trim().split("\n").at(-1)})`);
  const [python, glibc, arch] = r.stdout.trim().split("\n");
  return BaseFacts.parse({ python, glibc, arch });
}
