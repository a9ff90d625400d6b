import type Docker from "dockerode";
import { PrerequisiteError } from "../../core/errors.js";

/** How cells reach the servers an engine runs, by where DOCKER_HOST says the engine is. */
export type EngineReach =
  /** A unix socket (or DOCKER_HOST unset): the engine is here; servers listen in a shared socket folder. */
  | { kind: "socket" }
  /**
   * An address (tcp://): servers listen on a port the engine publishes on `publishOn` (its
   * loopback when the address is this machine's, else its every interface), probed at `probeHost`.
   */
  | { kind: "published-port"; probeHost: string; publishOn: string };

/**
 * A bind mount of a host folder works only when the engine runs here; a published port works
 * wherever it runs. dockerode parses DOCKER_HOST: a unix socket gives `socketPath` (a function
 * that finds the default socket when DOCKER_HOST is unset), tcp:// gives `host`, ssh:// gives
 * `host` with protocol "ssh".
 */
export function engineReach(docker: Docker): EngineReach {
  const modem = docker.modem as { host?: unknown; protocol?: unknown };
  if (typeof modem.host !== "string" || modem.host === "") return { kind: "socket" };
  if (modem.protocol === "ssh") {
    throw new PrerequisiteError(
      `DOCKER_HOST=${process.env.DOCKER_HOST}: an ssh:// engine's published ports are not reachable from here, and cells are probed through them; use tcp://<host>:2376 with the engine's ports open to this machine`,
    );
  }
  // An address of this machine: the engine is here too (its API forwarded to TCP). A port it
  // publishes on its loopback is this machine's loopback.
  if (isLoopback(modem.host)) return { kind: "published-port", probeHost: "127.0.0.1", publishOn: "127.0.0.1" };
  return { kind: "published-port", probeHost: modem.host, publishOn: "" };
}

/** Whether a host name or address is this machine's loopback. */
export const isLoopback = (host: string) => host === "localhost" || /^127\./.test(host) || host === "::1" || host === "[::1]";
