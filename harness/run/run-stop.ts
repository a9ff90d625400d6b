import { untilAborted } from "../core/until-aborted.js";
import type { RuntimeSession } from "../runtimes/session.js";

/**
 * What stops a run or a bisect: the user's signal (Ctrl-C), or an engine that stopped answering
 * (the session's watchdog). Every build and cell takes `signal`.
 */
export class RunStop {
  private readonly silent = new AbortController();
  readonly signal: AbortSignal;
  private unwatch: () => void = () => undefined;

  constructor(outer: AbortSignal) {
    this.signal = AbortSignal.any([outer, this.silent.signal]);
  }

  /** Starts watching the session's engine (docker; the local runtime has none). */
  watch(session: RuntimeSession): void {
    this.unwatch = session.watch?.((reason) => this.giveUp(reason)) ?? (() => undefined);
  }

  /**
   * Stops the run for a state of its runtime that the watchdog cannot see (an engine that answers
   * pings but starts nothing): like its silence, every build and cell ends, with `reason`.
   */
  giveUp(reason: Error): void {
    this.silent.abort(reason);
  }

  /**
   * `work`, or the engine's silence once it is noticed: some calls to the engine take no signal,
   * and on a hung one they never settle.
   */
  until<T>(work: Promise<T>): Promise<T> {
    // Settling after the run gave up on it is nobody's concern: no unhandled rejection.
    work.catch(() => undefined);
    return untilAborted(work, this.silent.signal);
  }

  /** The engine's silence when that is what stopped the run, not whichever call failed first; else `err`. */
  reason(err: unknown): unknown {
    return this.silent.signal.aborted ? this.silent.signal.reason : err;
  }

  [Symbol.dispose](): void {
    this.unwatch();
  }
}
