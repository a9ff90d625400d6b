import pLimit from "p-limit";
import { Agent, type Dispatcher, request } from "undici";

export interface ProbeResult {
  status?: number;
  /** The worker that answered: the harness's wrapper names it in a header; fixtures also answer {"pid": ...}. */
  pid?: number;
  /** undici's error code (UND_ERR_SOCKET, ECONNREFUSED...) when no answer came. */
  errorCode?: string;
  /** Start of the body when it was not the expected answer, for the evidence. */
  bodyStart?: string;
  /** The worker's memory as it read it while answering (fixture apps add rss_kb, pss_kb). */
  memory?: { rssKb: number; pssKb?: number };
}

export interface WorkerMemory {
  pid: number;
  rssKb: number;
  pssKb?: number;
}

export interface ProbeSummary {
  requests: number;
  statusCounts: Record<string, number>;
  connectionErrors: Record<string, number>;
  pidsServed: number[];
  unexpected: ProbeResult[];
  /** The last memory reading of each worker that answered as expected. */
  workerMemory: WorkerMemory[];
  /** performance.now() when the last of the asked-for workers first answered as expected. */
  allServedAt?: number;
}

export interface ProbePlan {
  baseUrl: string;
  /** Connect through this unix socket instead of TCP (the URL's host is then nominal). */
  socketPath?: string;
  path: string;
  count: number;
  concurrency: number;
  expectedStatus: number;
  /** Stop the coverage phase once this many distinct pids have answered. */
  workers: number;
  coverageSeconds: number;
  requestTimeoutMs: number;
  /**
   * Workers the server's logs show booted and not lost (log-collector.ts): while one of these has
   * not answered and every answer so far was as expected, coverage goes on past `coverageSeconds`
   * (up to ADAPTIVE_FACTOR times it), since on a busy machine the kernel may hand it nothing for a while.
   */
  workersAlive?: () => ReadonlySet<number>;
  /** Workers the server's logs show failing a probe: reached, though their error page named no pid. */
  workersReachedInLogs?: () => ReadonlySet<number>;
  /** True once nothing more the probes could see would change the cell's outcome. */
  outcomeDecided?: () => boolean;
  /**
   * False once the server has shown something that fails the cell whatever the probes see (a
   * traceback in its logs): waiting past `coverageSeconds` for an unreached worker then cannot help.
   */
  cleanStillPossible?: () => boolean;
}

/**
 * How far past `coverageSeconds` coverage may go for a booted, live worker not yet reached. At load
 * average 10 on 2 cores, 3 cells in 432 left one of 8 workers unreached for 10 s (issue #20).
 */
const ADAPTIVE_FACTOR = 3;

/** Upper bound on requests per cell, whatever the coverage phase wants. */
const MAX_REQUESTS = 4000;

/**
 * Send `count` requests with `concurrency`, then keep asking (for up to `coverageSeconds`) until
 * every worker has answered. Each request uses its own connection (`reset`), so the kernel spreads them over the
 * workers' shared listening socket instead of one keep-alive connection pinning one worker.
 */
export async function probeServer(plan: ProbePlan, signal: AbortSignal): Promise<ProbeSummary> {
  const agent = new Agent({
    connections: Math.max(plan.concurrency, plan.workers),
    pipelining: 0,
    ...(plan.socketPath ? { connect: { socketPath: plan.socketPath } } : {}),
  });
  const results: ProbeResult[] = [];
  const pids = new Set<number>();
  const served = new Set<number>();
  let allServedAt: number | undefined;
  /** Some probe got no answer or not the expected status: the cell cannot be clean. */
  let anyFailed = false;
  const start = performance.now();
  try {
    const limit = pLimit(plan.concurrency);
    const one = async () => {
      const r = await probeOnce(agent, plan.baseUrl + plan.path, plan.requestTimeoutMs, signal);
      results.push(r);
      if (r.status !== plan.expectedStatus) anyFailed = true;
      if (r.pid !== undefined) pids.add(r.pid);
      // The boot profile's "all workers serve": the moment the last one first answered as asked.
      if (r.pid !== undefined && r.status === plan.expectedStatus && !served.has(r.pid)) {
        served.add(r.pid);
        if (served.size === plan.workers) allServedAt = performance.now();
      }
    };
    await Promise.all(Array.from({ length: plan.count }, () => limit(one)));
    const deadline = start + plan.coverageSeconds * 1000;
    const cap = start + plan.coverageSeconds * ADAPTIVE_FACTOR * 1000;
    // A worker counts as reached when it answered with its pid, or when its log lines show it
    // failed a request (an error page names no pid). Waiting for one pid-bearing answer per worker
    // instead kept every all-500 cell probing for the whole coverageSeconds.
    // Log lines count only once a probe has failed: the cell cannot be clean then, so they cannot
    // stand in for the pid-bearing answers a clean verdict needs (a late log line of a readiness
    // request, say).
    const reached = () => new Set([...pids, ...(anyFailed ? (plan.workersReachedInLogs?.() ?? []) : [])]).size;
    // Then bursts of one connection per worker until every worker has been reached. Which worker
    // accepts a connection is the kernel's choice, and it is not random: a lone connection goes
    // to the same few workers every time (46 of 64 after 900 in a test), and a burst of
    // `concurrency` only to the first to wake. A burst as wide as the worker count reaches them all.
    // Past the deadline only while it could still help: all answers as expected and nothing in
    // the logs that fails the cell anyway, and some worker the logs show alive has not answered
    // yet. (43 --preload cells of the full sweep, a KeyError in every worker but the one that
    // served, sat out 3× coverageSeconds waiting for workers that could not make them clean.)
    const worthWaiting = () =>
      !anyFailed && (plan.cleanStillPossible?.() ?? true) && [...(plan.workersAlive?.() ?? [])].some((pid) => !pids.has(pid));
    while (
      reached() < plan.workers &&
      !plan.outcomeDecided?.() &&
      (performance.now() < deadline || (performance.now() < cap && worthWaiting())) &&
      results.length < MAX_REQUESTS &&
      !signal.aborted
    ) {
      const seen = reached();
      await Promise.all(Array.from({ length: plan.workers }, one));
      // Nothing new: a worker is probably still booting; give it a moment instead of hammering.
      if (reached() === seen) await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await agent.destroy();
  }
  return { ...summarize(results, plan.expectedStatus), ...(allServedAt !== undefined ? { allServedAt } : {}) };
}

/** A fixture answers a few dozen bytes; an app that streams megabytes must not fill the harness's memory. */
const MAX_BODY_BYTES = 64 * 1024;

/** The body's first `max` bytes as text; the rest is not read (the connection is closed). */
async function cappedText(body: AsyncIterable<Buffer> & { destroy(): unknown }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, max).toString("utf8");
}

/** One request; any failure becomes data (an error code), never an exception. */
export async function probeOnce(agent: Dispatcher, url: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await request(url, {
      dispatcher: agent,
      reset: true,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const body = await cappedText(res.body, MAX_BODY_BYTES);
    const fromBody = parseBody(body);
    // The header first: it names the worker whatever the app answered (plain text, an error page).
    const pid = pidOf(res.headers[PID_HEADER]) ?? fromBody.pid;
    return { status: res.statusCode, ...fromBody, ...(pid !== undefined ? { pid } : {}) };
  } catch (err) {
    // undici's codes are strings (UND_ERR_SOCKET); an AbortSignal.timeout() DOMException has a
    // numeric legacy code (23) that would read as a status, so it is named instead.
    const e = err as { code?: unknown; name?: string };
    if (typeof e.code === "string") return { errorCode: e.code };
    return { errorCode: timeout.aborted || e.name === "TimeoutError" ? "TIMEOUT" : (e.name ?? "UNKNOWN") };
  }
}

/**
 * The response header the harness's ASGI wrapper (images/apps/_repro_matrix.py) adds to every
 * answer: the pid of the worker that gave it.
 */
export const PID_HEADER = "x-repro-matrix-pid";

const pidOf = (value: string | string[] | undefined): number | undefined => {
  const text = Array.isArray(value) ? value.at(-1) : value;
  return text !== undefined && /^\d{1,10}$/.test(text.trim()) ? Number(text.trim()) : undefined;
};

function parseBody(body: string): Pick<ProbeResult, "pid" | "bodyStart" | "memory"> {
  try {
    const { pid, rss_kb, pss_kb } = JSON.parse(body) as { pid?: unknown; rss_kb?: unknown; pss_kb?: unknown };
    const memory = typeof rss_kb === "number" ? { rssKb: rss_kb, ...(typeof pss_kb === "number" ? { pssKb: pss_kb } : {}) } : undefined;
    if (typeof pid === "number") return { pid, ...(memory ? { memory } : {}) };
  } catch {
    // not JSON: an error page, kept below as evidence
  }
  return { bodyStart: body.slice(0, 300) };
}

export function summarize(results: ProbeResult[], expectedStatus: number): ProbeSummary {
  const statusCounts: Record<string, number> = {};
  const connectionErrors: Record<string, number> = {};
  const pids = new Set<number>();
  const memory = new Map<number, WorkerMemory>();
  const unexpected: ProbeResult[] = [];
  for (const r of results) {
    if (r.status !== undefined) statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
    if (r.errorCode) connectionErrors[r.errorCode] = (connectionErrors[r.errorCode] ?? 0) + 1;
    if (r.status === expectedStatus && r.pid !== undefined) pids.add(r.pid);
    if (r.status === expectedStatus && r.pid !== undefined && r.memory) memory.set(r.pid, { pid: r.pid, ...r.memory });
    if (r.status !== expectedStatus && unexpected.length < 5) unexpected.push(r);
  }
  return {
    requests: results.length,
    statusCounts,
    connectionErrors,
    pidsServed: [...pids].sort((a, b) => a - b),
    unexpected,
    workerMemory: [...memory.values()].sort((a, b) => a.pid - b.pid),
  };
}
