import { Agent } from "undici";
import type { ServerExit } from "../runtimes/runtime.js";
import { probeOnce } from "./probe.js";

/** A new connection attempt this often until one is answered. */
const PACE_MS = 100;
/** Attempts in flight at most (each gives up after 2 s), so a hung worker cannot absorb them all. */
const MAX_IN_FLIGHT = 16;

export type Readiness =
  | { state: "ready"; afterMs: number }
  | { state: "exited"; afterMs: number; exit: ServerExit }
  | { state: "timeout"; afterMs: number }
  /**
   * The server cannot come up, and waiting longer would only burn time: workers keep dying and
   * Gunicorn keeps replacing them (crash-loop), or every worker failed and the server went quiet (stalled).
   */
  | { state: BootGaveUp; afterMs: number };

export type BootGaveUp = "crash-loop" | "stalled";

/**
 * Ready means the server answered HTTP at all (any status: a 500 is a booted server whose
 * failure the probes will record). Gives up when the process exits or the deadline passes.
 */
export async function waitForReady(
  url: string,
  exited: Promise<ServerExit>,
  timeoutMs: number,
  signal: AbortSignal,
  hopeless: () => BootGaveUp | undefined = () => undefined,
  socketPath?: string,
): Promise<Readiness> {
  const start = performance.now();
  const agent = new Agent({ connections: MAX_IN_FLIGHT, ...(socketPath ? { connect: { socketPath } } : {}) });
  let exit: ServerExit | undefined;
  void exited.then(
    (e) => {
      exit = e;
    },
    () => undefined,
  );
  let answered = false;
  const firstAnswer = Promise.withResolvers<void>();
  let inFlight = 0;
  try {
    while (!signal.aborted) {
      const elapsed = performance.now() - start;
      if (answered) return { state: "ready", afterMs: elapsed };
      if (exit) return { state: "exited", afterMs: elapsed, exit };
      if (elapsed > timeoutMs) return { state: "timeout", afterMs: elapsed };
      const gaveUp = hopeless();
      if (gaveUp) return { state: gaveUp, afterMs: elapsed };
      // Attempts are spaced out, not fired in rounds: an asyncio worker that wakes on the shared
      // listening socket accepts every connection pending at that moment, so a round of
      // simultaneous connections often went whole to one worker that accepts and never answers.
      if (inFlight < MAX_IN_FLIGHT) {
        inFlight++;
        void probeOnce(agent, url, Math.min(2000, timeoutMs), signal).then((r) => {
          inFlight--;
          if (r.status === undefined) return;
          answered = true;
          firstAnswer.resolve();
        });
      }
      // Refused attempts (nothing bound yet) fail at once; only an answer cuts the pause short.
      await Promise.race([new Promise((res) => setTimeout(res, PACE_MS)), firstAnswer.promise]);
    }
    signal.throwIfAborted();
    throw new Error("unreachable");
  } finally {
    await agent.destroy();
  }
}
