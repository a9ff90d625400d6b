import { statfs } from "node:fs/promises";
import { EngineUnresponsiveError, PrerequisiteError } from "./errors.js";

/** The ways a connection to the engine fails once it is gone: stopped (refused), socket removed, dropped. */
const GONE = new Set(["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE", "EHOSTUNREACH"]);

/**
 * A Docker engine that stopped answering mid-run, as a one-line error with the fix, or undefined
 * for any other error. Only a failed connect (or a dropped engine connection) counts: an ENOENT
 * from reading a file is not the engine.
 */
export function engineGone(err: unknown): PrerequisiteError | undefined {
  const e = err as { code?: unknown; syscall?: unknown; address?: unknown };
  if (typeof e?.code !== "string" || !GONE.has(e.code)) return undefined;
  if (e.syscall !== "connect" && e.code !== "ECONNRESET" && e.code !== "EPIPE") return undefined;
  const where = process.env.DOCKER_HOST ?? (typeof e.address === "string" ? e.address : "/var/run/docker.sock");
  return new PrerequisiteError(
    `the Docker engine at ${where} stopped answering mid-run (${e.code}): the cells that finished are saved; start the engine and run again (finished cells are reused)`,
    { cause: err },
  );
}

/** A Docker engine that stopped answering mid-run without going away (a stopped or deadlocked dockerd). */
export function engineUnresponsive(silentForMs: number): EngineUnresponsiveError {
  const where = process.env.DOCKER_HOST ?? "/var/run/docker.sock";
  return new EngineUnresponsiveError(
    `the Docker engine at ${where} has not answered for ${Math.round(silentForMs / 1000)} s: the cells that finished are saved; check it (\`docker info\`), restart it if it hangs, and run again (finished cells are reused; REPRO_MATRIX_ENGINE_TIMEOUT sets the wait)`,
  );
}

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
