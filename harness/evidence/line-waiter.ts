import type { Signature } from "../config/signature.js";
import { untilAborted } from "../core/until-aborted.js";
import type { LogCollector } from "./log-collector.js";

/**
 * Counts lines matching `re` from the moment it is made, so that a wait step can be set up as
 * the step before it begins: lines a signal causes arrive while the signal is still being sent.
 */
export class LineWaiter {
  count = 0;
  private readonly reached = Promise.withResolvers<void>();
  private readonly stop: () => void;

  constructor(
    logs: LogCollector,
    private readonly re: Signature,
    private readonly wanted: number,
  ) {
    this.stop = logs.onLine((_line, raw) => {
      if (!this.re.test(raw)) return;
      this.count++;
      if (this.count >= this.wanted) this.reached.resolve();
    });
  }

  /** True once `wanted` lines have come, false after `timeoutMs` without them; only `signal` aborting throws. */
  async wait(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    try {
      await untilAborted(this.reached.promise, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
    } catch (err) {
      signal.throwIfAborted();
      if ((err as Error).name !== "TimeoutError") throw err;
    } finally {
      this.stop();
    }
    return this.count >= this.wanted;
  }

  /** Stops counting (a step before it was cut off). */
  dispose(): void {
    this.stop();
  }
}
