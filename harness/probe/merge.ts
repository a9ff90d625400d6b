import type { ProbeSummary, WorkerMemory } from "./probe.js";

const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
};

/**
 * The requests of several steps as one summary, as if one probe had sent them all: the outcome
 * is judged on every request a cell sent, and the workers that served are those of every step.
 */
export function mergeSummaries(summaries: ProbeSummary[]): ProbeSummary {
  const statusCounts: Record<string, number> = {};
  const connectionErrors: Record<string, number> = {};
  const pids = new Set<number>();
  const memory = new Map<number, WorkerMemory>();
  for (const s of summaries) {
    add(statusCounts, s.statusCounts);
    add(connectionErrors, s.connectionErrors);
    for (const pid of s.pidsServed) pids.add(pid);
    for (const m of s.workerMemory) memory.set(m.pid, m);
  }
  const allServedAt = summaries.find((s) => s.allServedAt !== undefined)?.allServedAt;
  return {
    requests: summaries.reduce((n, s) => n + s.requests, 0),
    statusCounts,
    connectionErrors,
    pidsServed: [...pids].sort((a, b) => a - b),
    unexpected: summaries.flatMap((s) => s.unexpected).slice(0, 5),
    workerMemory: [...memory.values()].sort((a, b) => a.pid - b.pid),
    ...(allServedAt !== undefined ? { allServedAt } : {}),
  };
}
