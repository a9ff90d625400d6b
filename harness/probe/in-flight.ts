import { setTimeout as sleep } from "node:timers/promises";
import { Agent, type Dispatcher } from "undici";
import { type ProbeResult, type ProbeSummary, probeOnce, summarize } from "./probe.js";

export interface InFlightPlan {
  baseUrl: string;
  socketPath?: string;
  path: string;
  count: number;
  expectedStatus: number;
  requestTimeoutMs: number;
  /** How long after the last request was sent `whileInFlight` runs: time for the workers to take them up. */
  settleMs: number;
}

export interface InFlightResult<T> {
  summary: ProbeSummary;
  /** Requests sent and not yet answered when `whileInFlight` began. */
  inFlightAtSignal: number;
  during: T;
}

/**
 * An agent that calls `onSent` as each request has been written whole to the server. It wraps
 * the handler undici hands down rather than re-implementing one: every other callback (the
 * legacy and the new handler API alike) reaches the original untouched.
 */
function sentCounting(agent: Agent, onSent: () => void): Dispatcher {
  return agent.compose(
    (dispatch) => (opts, handler) =>
      dispatch(
        opts,
        new Proxy(handler, {
          get(target, key) {
            const value = Reflect.get(target, key, target) as unknown;
            if (key === "onRequestSent")
              return (...args: unknown[]) => {
                onSent();
                return typeof value === "function" ? value.apply(target, args) : undefined;
              };
            return typeof value === "function" ? value.bind(target) : value;
          },
        }),
      ),
  );
}

/**
 * Sends all `count` requests at once, each on its own connection; once every one has been sent
 * (or has already failed) and `settleMs` have passed, runs `whileInFlight` (a signal to the
 * server) while their answers are still due, then waits for them. Failures are data, as in probes.
 */
export async function requestsInFlight<T>(
  plan: InFlightPlan,
  whileInFlight: () => Promise<T>,
  signal: AbortSignal,
): Promise<InFlightResult<T>> {
  const agent = new Agent({
    connections: plan.count,
    pipelining: 0,
    ...(plan.socketPath ? { connect: { socketPath: plan.socketPath } } : {}),
  });
  let sent = 0;
  let settled = 0;
  /** Failed without an answer: possibly never sent (refused), so never counted by onSent. */
  let failed = 0;
  const allSent = Promise.withResolvers<void>();
  // A request that was sent and then failed counts twice here: the signal then comes a little
  // early, which only the failures (themselves the evidence) can cause.
  const progress = () => {
    if (sent + failed >= plan.count) allSent.resolve();
  };
  const dispatcher = sentCounting(agent, () => {
    sent++;
    progress();
  });
  try {
    const results: Promise<ProbeResult>[] = Array.from({ length: plan.count }, () =>
      probeOnce(dispatcher, plan.baseUrl + plan.path, plan.requestTimeoutMs, signal).then((r) => {
        settled++;
        if (r.status === undefined) failed++;
        progress();
        return r;
      }),
    );
    await Promise.race([allSent.promise, Promise.all(results)]);
    await sleep(plan.settleMs, undefined, { signal });
    // Sent, and not settled: neither count is per request, so the smaller bounds it.
    const inFlightAtSignal = Math.min(sent, plan.count - settled);
    const during = await whileInFlight();
    return { summary: summarize(await Promise.all(results), plan.expectedStatus), inFlightAtSignal, during };
  } finally {
    await agent.destroy();
  }
}
