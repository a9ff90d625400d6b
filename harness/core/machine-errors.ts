import { statfs } from "node:fs/promises";
import { PrerequisiteError } from "./errors.js";

/** A full disk (cache, reports or temp folder) as a one-line error naming where, or undefined. */
export function diskFull(err: unknown): PrerequisiteError | undefined {
  const e = err as { code?: unknown; path?: unknown };
  if (e?.code !== "ENOSPC" && e?.code !== "EDQUOT") return undefined;
  const where = typeof e.path === "string" ? ` writing ${e.path}` : "";
  return new PrerequisiteError(
    `no space left on device${where}: free space there, or point --cache-dir / --out at a disk with room (finished cells are in results.jsonl: run --resume)`,
    { cause: err },
  );
}

/**
 * For tools that hide ENOSPC behind their own message (ensurepip, pip): when a step failed in
 * `dir`, a nearly full filesystem there is the likelier cause, said the same way as diskFull.
 */
export async function lowOnSpace(dir: string, cause: unknown, minBytes = 64 * 2 ** 20): Promise<PrerequisiteError | undefined> {
  const fs = await statfs(dir).catch(() => undefined);
  if (!fs || fs.bavail * fs.bsize >= minBytes) return undefined;
  return diskFull(
    Object.assign(new Error("ENOSPC"), { code: "ENOSPC", path: `${dir} (${Math.round((fs.bavail * fs.bsize) / 1024)} KiB free)`, cause }),
  );
}
