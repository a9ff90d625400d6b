import { Agent } from "undici";
import type { ServerExit } from "../runtimes/runtime.js";
import { probeOnce } from "./probe.js";

/** Connections per readiness round. */
const PARALLEL = 4;

export type Readiness =
  | { state: "ready"; afterMs: number }
  | { state: "exited"; afterMs: number; exit: ServerExit }
  | { state: "timeout"; afterMs: number }
  /** Workers keep dying and Gunicorn keeps replacing them: waiting longer would only burn time. */
  | { state: "crash-loop"; afterMs: number };

/**
 * Ready means the server answered HTTP at all (any status: a 500 is a booted server whose
 * failure the probes will record). Gives up when the process exits or the deadline passes.
 */
export async function waitForReady(
  url: string,
  exited: Promise<ServerExit>,
  timeoutMs: number,
  signal: AbortSignal,
  isCrashLooping: () => boolean = () => false,
  socketPath?: string,
): Promise<Readiness> {
  const start = performance.now();
  const agent = new Agent({ connections: PARALLEL, ...(socketPath ? { connect: { socketPath } } : {}) });
  let exit: ServerExit | undefined;
  void exited.then(
    (e) => {
      exit = e;
    },
    () => undefined,
  );
  try {
    while (!signal.aborted) {
      const elapsed = performance.now() - start;
      if (exit) return { state: "exited", afterMs: elapsed, exit };
      if (elapsed > timeoutMs) return { state: "timeout", afterMs: elapsed };
      if (isCrashLooping()) return { state: "crash-loop", afterMs: elapsed };
      // Several connections at once, each with a short timeout: one worker that accepts and never
      // answers must not hold readiness past bootSeconds while the others could answer.
      const round = await Promise.all(Array.from({ length: PARALLEL }, () => probeOnce(agent, url, Math.min(2000, timeoutMs), signal)));
      if (round.some((r) => r.status !== undefined)) return { state: "ready", afterMs: performance.now() - start };
      await new Promise((res) => setTimeout(res, 200));
    }
    signal.throwIfAborted();
    throw new Error("unreachable");
  } finally {
    await agent.destroy();
  }
}
