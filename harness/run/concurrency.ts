import { availableParallelism, totalmem } from "node:os";

/** Each container may use up to this much; local servers are planned with the same budget (not enforced). */
export const MEMORY_PER_CELL = 1024 ** 3;

/**
 * How many cells at once by default: one per CPU (each cell's gunicorn and its probes keep a
 * core busy while booting), and no more than three quarters of the memory allows at the
 * per-cell limit, so a memory-hungry cell cannot push the machine into swap.
 */
export function defaultConcurrency(cpus = availableParallelism(), memory = totalmem()): number {
  return Math.max(1, Math.min(cpus, Math.floor((memory * 0.75) / MEMORY_PER_CELL)));
}
