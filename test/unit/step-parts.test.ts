import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseScenario } from "../../harness/config/load.js";
import { compileSignature } from "../../harness/config/signature.js";
import { LineWaiter } from "../../harness/evidence/line-waiter.js";
import { LogCollector } from "../../harness/evidence/log-collector.js";
import { requestsInFlight } from "../../harness/probe/in-flight.js";
import { mergeSummaries } from "../../harness/probe/merge.js";
import { stepPhase } from "../../harness/run/steps.js";
import { MINIMAL } from "../helpers/scenarios.js";

describe("the log collector for checks and steps", () => {
  it("counts a watched pattern per phase, step phases included, and keeps its first lines", () => {
    const c = new LogCollector([]);
    const w = c.watch(compileSignature("Booting worker"));
    c.write("stderr", "[1] [INFO] Booting worker with pid: 7\n");
    c.phase = "step 2 (HUP master)";
    c.write("stderr", "[1] [INFO] Handling signal: hup\n[1] [INFO] Booting worker with pid: 9\n[1] [INFO] Booting worker with pid: 10\n");
    expect(Object.fromEntries(w.byPhase)).toEqual({ boot: 1, "step 2 (HUP master)": 2 });
    expect(w.lines.map((l) => [l.n, l.phase])).toEqual([
      [1, "boot"],
      [3, "step 2 (HUP master)"],
      [4, "step 2 (HUP master)"],
    ]);
  });

  it("knows the workers a step's failed requests reached, as it does for the probe phase", () => {
    const c = new LogCollector([]);
    c.phase = "step 1 (probe)";
    c.write("stderr", '[2026-11-25 10:00:00 +0000] [12] [INFO] None - "GET / HTTP/1.1" 500\n');
    expect([...c.workersReached]).toEqual([12]);
  });

  it("a line waiter counts from its making, and gives up after its time without throwing", async () => {
    const c = new LogCollector([]);
    const two = new LineWaiter(c, compileSignature("Booting worker"), 2);
    // The lines come before the wait begins (a signal's effect, while the signal step still runs).
    c.write("stderr", "Booting worker with pid: 9\nBooting worker with pid: 10\n");
    expect(await two.wait(60_000, new AbortController().signal)).toBe(true);
    const never = new LineWaiter(c, compileSignature("never printed"), 1);
    expect(await never.wait(50, new AbortController().signal)).toBe(false);
    const stopped = new AbortController();
    const cut = new LineWaiter(c, compileSignature("never printed"), 1);
    stopped.abort(new Error("Ctrl-C"));
    await expect(cut.wait(60_000, stopped.signal)).rejects.toThrow("Ctrl-C");
  });

  it("names each step's phase after what it does", () => {
    const s = parseScenario(`${MINIMAL}steps:
  - { requests: 1 }
  - { requests: 8, during: { signal: TERM } }
  - { signal: KILL, to: worker }
  - wait: { line: "Booting worker with pid: \\\\d+ and then a very long tail of text", count: 2 }
  - { sleep: 1.5 }
  - probe: {}
  - wait: { line: "two\\\\nlines" }
  - wait: { line: "two\\nlines" }
`);
    expect(s.steps?.map((st, i) => stepPhase(st, i + 1))).toEqual([
      "step 1 (1 request)",
      "step 2 (8 requests, TERM master)",
      "step 3 (KILL worker)",
      "step 4 (wait for 2 × /Booting worker with pid: \\d+ and then a …/)",
      "step 5 (sleep 1.5 s)",
      "step 6 (probe)",
      "step 7 (wait for /two\\nlines/)",
      // A newline in the pattern itself (YAML's "\n", not the regex's \n) would break the phase's one line.
      "step 8 (wait for /two lines/)",
    ]);
  });
});

describe("requests in flight", () => {
  it("acts once every request has been sent and none answered, then collects their answers", async () => {
    const dir = await mkdtemp(join(tmpdir(), "in-flight-"));
    const held: ServerResponse[] = [];
    let release = false;
    const server = createServer((_req, res) => {
      if (release) res.end('{"pid": 7}');
      else held.push(res);
    });
    try {
      server.listen(join(dir, "s.sock"));
      await once(server, "listening");
      const r = await requestsInFlight(
        {
          baseUrl: "http://localhost",
          socketPath: join(dir, "s.sock"),
          path: "/",
          count: 64,
          expectedStatus: 200,
          requestTimeoutMs: 10_000,
          settleMs: 0,
        },
        async () => {
          // The server holds every answer until now: what happens here happens with all 64 in flight
          // (sent, though the server may not have read them all yet).
          release = true;
          for (const res of held) res.end('{"pid": 7}');
          return "released";
        },
        new AbortController().signal,
      );
      expect(r.inFlightAtSignal).toBe(64);
      expect(r.during).toBe("released");
      expect(r.summary).toMatchObject({ requests: 64, statusCounts: { 200: 64 }, pidsServed: [7] });
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("does not wait forever for requests that were never sent (nothing listens)", async () => {
    const r = await requestsInFlight(
      {
        baseUrl: "http://localhost",
        socketPath: "/nonexistent/s.sock",
        path: "/",
        count: 3,
        expectedStatus: 200,
        requestTimeoutMs: 1000,
        settleMs: 0,
      },
      async () => "signalled",
      new AbortController().signal,
    );
    expect(r).toMatchObject({ inFlightAtSignal: 0, during: "signalled", summary: { requests: 3, statusCounts: {} } });
    expect(Object.values(r.summary.connectionErrors).reduce((a, b) => a + b, 0)).toBe(3);
  });
});

describe("mergeSummaries", () => {
  it("adds counts and unites the workers of several steps", () => {
    const one = { requests: 2, statusCounts: { 200: 2 }, connectionErrors: {}, pidsServed: [3, 1], unexpected: [], workerMemory: [] };
    const two = {
      requests: 3,
      statusCounts: { 200: 1, 500: 1 },
      connectionErrors: { UND_ERR_SOCKET: 1 },
      pidsServed: [2, 3],
      unexpected: [],
      workerMemory: [],
    };
    expect(mergeSummaries([one, two])).toEqual({
      requests: 5,
      statusCounts: { 200: 3, 500: 1 },
      connectionErrors: { UND_ERR_SOCKET: 1 },
      pidsServed: [1, 2, 3],
      unexpected: [],
      workerMemory: [],
    });
  });
});
