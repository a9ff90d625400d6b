import { EngineUnresponsiveError, PrerequisiteError } from "../../core/errors.js";
import { engineAddress } from "../../core/settings.js";

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
  const where = process.env.DOCKER_HOST ?? (typeof e.address === "string" ? e.address : engineAddress());
  return new PrerequisiteError(
    `the Docker engine at ${where} stopped answering mid-run (${e.code}): the cells that finished are saved; start the engine and run again (finished cells are reused)`,
    { cause: err },
  );
}

/** A Docker engine that stopped answering mid-run without going away (a stopped or deadlocked dockerd). */
export function engineUnresponsive(silentForMs: number): EngineUnresponsiveError {
  const where = engineAddress();
  return new EngineUnresponsiveError(
    `the Docker engine at ${where} has not answered for ${Math.round(silentForMs / 1000)} s: the cells that finished are saved; check it (\`docker info\`), restart it if it hangs, and run again (finished cells are reused; REPRO_MATRIX_ENGINE_TIMEOUT sets the wait)`,
  );
}
