import { availableParallelism, totalmem } from "node:os";
import pLimit from "p-limit";

/** Each container may use up to this much; local servers are planned with the same budget (not enforced). */
export const MEMORY_PER_CELL = 1024 ** 3;

/** How many servers the memory allows at once: three quarters of it at the per-cell limit, so a memory-hungry cell cannot push the machine into swap. */
export const memoryBound = (memory = totalmem()) => Math.max(1, Math.floor((memory * 0.75) / MEMORY_PER_CELL));

/**
 * How many cells at once by default: one per CPU (each cell's gunicorn and its probes keep a
 * core busy while booting), and no more than the memory allows.
 */
export function defaultConcurrency(cpus = availableParallelism(), memory = totalmem()): number {
  return Math.min(cpus, memoryBound(memory));
}

/** Called by a cell once all it has left is waiting (a graceful shutdown), to give up its CPU slot. */
export type WaitingOnly = () => void;

/**
 * Runs cells within two bounds. `busy` cells at once may start, boot, probe and stop a server:
 * the CPU bound. A cell that says it is only waiting (run-cell.ts: a stop still going after two
 * seconds, gunicorn sitting out its graceful timeout for old uvicorn workers that ignore SIGTERM)
 * gives its busy slot to the next cell but still counts towards `live`, the servers that may
 * exist at once: the memory bound. Such waits were a third of a full sweep's cell time.
 */
export function cellSlots(busy: number, live: number) {
  const liveLimit = pLimit(Math.max(busy, live));
  const busyLimit = pLimit(busy);
  return <T>(cell: (waitingOnly: WaitingOnly) => Promise<T>): Promise<T> =>
    liveLimit(async () => {
      let waitingOnly: WaitingOnly = () => undefined;
      const waiting = new Promise<void>((resolve) => {
        waitingOnly = resolve;
      });
      let finished: Promise<T> | undefined;
      await busyLimit(() => {
        finished = cell(waitingOnly);
        // Whichever comes first frees the busy slot; the cell's own failure is returned below.
        return Promise.race([waiting, finished.then(noop, noop)]);
      });
      return finished as Promise<T>;
    });
}

const noop = () => undefined;
