import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitForReady } from "../../harness/probe/readiness.js";
import type { ServerExit } from "../../harness/runtimes/runtime.js";

const never = new Promise<ServerExit>(() => undefined);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** An HTTP server on a unix socket that leaves its first `swallow` requests unanswered, as a hung worker does. */
async function serverSwallowingFirst(swallow: number): Promise<{ socketPath: string; seen: () => number }> {
  const dir = await mkdtemp(join(tmpdir(), "readiness-"));
  const socketPath = join(dir, "s.sock");
  let seen = 0;
  const server: Server = createServer((_req, res) => {
    seen += 1;
    if (seen > swallow) res.end("{}");
  });
  await new Promise<void>((res) => server.listen(socketPath, res));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((res) => server.close(res));
    await rm(dir, { recursive: true, force: true });
  });
  return { socketPath, seen: () => seen };
}

describe("waitForReady", () => {
  it("is ready when a later connection is answered, though many earlier ones hang (a hung worker took them)", async () => {
    // Twelve hung attempts: fired in simultaneous rounds of four with a 2 s timeout each, the
    // answer would come only in the fourth round, after the 3 s deadline.
    const server = await serverSwallowingFirst(12);
    const r = await waitForReady("http://localhost/", never, 3000, new AbortController().signal, undefined, server.socketPath);
    expect(r.state).toBe("ready");
    expect(server.seen()).toBeGreaterThan(12);
  });

  it("times out on a server that drops every connection at once, pacing its attempts instead of spinning", async () => {
    const dir = await mkdtemp(join(tmpdir(), "readiness-"));
    const socketPath = join(dir, "s.sock");
    let connections = 0;
    const server = createNetServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((res) => server.listen(socketPath, res));
    cleanups.push(async () => {
      await new Promise((res) => server.close(res));
      await rm(dir, { recursive: true, force: true });
    });
    const r = await waitForReady("http://localhost/", never, 600, new AbortController().signal, undefined, socketPath);
    expect(r.state).toBe("timeout");
    // One attempt per 100 ms pace, give or take timer slack; a loop that did not wait would make hundreds.
    expect(connections).toBeGreaterThan(2);
    expect(connections).toBeLessThan(12);
  });

  it("reports the exit of a server that died before answering", async () => {
    const dir = await mkdtemp(join(tmpdir(), "readiness-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const exit = { code: 3, signal: null } as unknown as ServerExit;
    const r = await waitForReady(
      "http://localhost/",
      Promise.resolve(exit),
      5000,
      new AbortController().signal,
      undefined,
      join(dir, "none.sock"),
    );
    expect(r).toMatchObject({ state: "exited", exit });
  });
});
