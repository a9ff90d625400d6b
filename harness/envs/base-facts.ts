import { z } from "zod";

/** What the base image really holds; locks and wheel choices follow these, not the asked version. */
export const BaseFacts = z.strictObject({
  python: z.string().regex(/^\d+\.\d+\.\d+/),
  glibc: z.string().regex(/^\d+\.\d+$/),
  arch: z.enum(["x86_64", "aarch64"]),
});
export type BaseFacts = z.infer<typeof BaseFacts>;

const SCRIPT = "import platform; print(platform.python_version()); print(platform.libc_ver()[1]); print(platform.machine())";

/** Runs a command where the env's Python lives (a runtime's `exec`), to completion. */
export type Exec = (image: string, command: string[], signal: AbortSignal) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

export async function readBaseFacts(exec: Exec, image: string, signal: AbortSignal): Promise<BaseFacts> {
  const r = await exec(image, ["python3", "-c", SCRIPT], signal);
  if (r.exitCode !== 0) throw new Error(`${image}: python3 did not run (${r.stderr.trim().split("\n").at(-1)})`);
  const [python, glibc, arch] = r.stdout.trim().split("\n");
  return BaseFacts.parse({ python, glibc, arch });
}
