import { mkdir, readdir, rm } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { connectDocker } from "../../harness/runtimes/docker/docker-engine.js";
import { OWNER_PID_LABEL } from "../../harness/runtimes/docker/labels.js";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";
import { readResults } from "../helpers/results.js";

const SCENARIO = itScenario(
  "it-env-fault",
  `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 2
apps: [slow, plain]
`,
  "3.11",
);

/** A run of the scenario whose engine stops starting servers: cells enough for three to find it stuck after the first. */
const STUCK_SCENARIO = itScenario(
  "it-engine-stuck",
  `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 2
apps: [plain, lifespan, prints-signature]
`,
  "3.11",
  { probes: "{ count: 8, concurrency: 4, coverageSeconds: 2 }", timeouts: "{ bootSeconds: 5, cellSeconds: 8, stopSeconds: 2 }" },
);

/** Answers the engine's ping on `client`, and nothing else: what a half-hung dockerd did once. */
function answerPingsOnly(client: Socket): void {
  client.on("data", (b: Buffer) => {
    if (/^(GET|HEAD) \/(v[\d.]+\/)?_ping /.test(b.toString("latin1")))
      client.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK");
  });
  client.resume();
}

/**
 * A stand-in for the engine's socket that forwards to the real one, and can be pulled out, or
 * frozen: connections stay open and nothing more passes, as with a hung dockerd; or half-frozen:
 * pings are answered and nothing else is.
 */
async function engineProxy(path: string): Promise<{ stop: () => Promise<void>; freeze: () => void; halfFreeze: () => void }> {
  const open = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  let half = false;
  const server: Server = createServer((client) => {
    client.on("error", () => undefined);
    open.add(client);
    client.on("close", () => open.delete(client));
    if (half) return answerPingsOnly(client);
    // A hung engine accepts connections and answers none of them.
    if (frozen) return;
    const upstream = connect("/var/run/docker.sock");
    upstream.on("error", () => undefined);
    open.add(upstream);
    upstream.on("close", () => open.delete(upstream));
    pairs.add([client, upstream]);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  /** Nothing more passes on the open connections; `client` is what each client's side does then. */
  const cut = (client: (s: Socket) => void) => {
    for (const [c, upstream] of pairs) {
      c.unpipe(upstream);
      upstream.unpipe(c);
      upstream.pause();
      client(c);
    }
  };
  return {
    freeze: () => {
      frozen = true;
      cut((client) => client.pause());
    },
    halfFreeze: () => {
      half = true;
      cut(answerPingsOnly);
    },
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      });
    },
  };
}

/**
 * The machine failing under the harness: the engine going away mid-run, and a full disk. Each
 * ends in one line naming what happened and what to do (exit 2), with the finished cells saved,
 * and never a hang.
 */
describe("faults in the machine", () => {
  /**
   * A run through a proxy of the engine; once the first cell has finished, `fault` acts on the
   * proxy (pulls it out, freezes it) and the run. Whatever the run could not remove goes after.
   */
  async function engineFaultMidRun(
    name: string,
    env: Record<string, string>,
    fault: (proxy: Awaited<ReturnType<typeof engineProxy>>, child: ReturnType<typeof execa>) => Promise<void> | void,
    scenario = SCENARIO,
  ) {
    const dir = await tempDir(name);
    const config = await writeConfig(dir, scenario);
    const socket = join(dir, "docker.sock");
    const proxy = await engineProxy(socket);
    const child = execa("node", [BIN, "run", "--runtime", "docker", "--config", config, "--out", dir, "--concurrency", "1"], {
      reject: false,
      env: { REPRO_MATRIX_CACHE: CACHE_DIR, DOCKER_HOST: `unix://${socket}`, ...env },
      timeout: 120_000,
    });
    try {
      await new Promise<void>((resolve) => {
        child.stderr?.on("data", (b: Buffer) => {
          if (/\[1\/\d+\]/.test(b.toString())) resolve();
        });
        void child.then(() => resolve());
      });
      const faultAt = performance.now();
      await fault(proxy, child);
      const r = await child;
      const results = await readResults(join(dir, /^scenario: (\S+)/.exec(scenario)?.[1] ?? "", "results.json"));
      return { r, socket, results, afterFaultMs: performance.now() - faultAt, pid: child.pid };
    } finally {
      await proxy.stop();
      // The engine itself is fine: remove what the cut-off run could not.
      const engine = await connectDocker();
      for (const c of await engine.listContainers({ all: true, filters: { label: [`${OWNER_PID_LABEL}=${child.pid}`] } }))
        await engine.getContainer(c.Id).remove({ force: true });
    }
  }

  it("the Docker engine stopping mid-run: exit 2 naming the engine, finished cells saved, no hang", async () => {
    const { r, socket, results, pid } = await engineFaultMidRun("engine-gone", {}, (proxy) => proxy.stop());
    expect(r.timedOut).toBe(false);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(
      new RegExp(
        `^repro-matrix: the Docker engine at unix://${socket.replaceAll(".", "\\.")} stopped answering mid-run \\((ENOENT|ECONNREFUSED|ECONNRESET|EPIPE)\\): the cells that finished are saved`,
      ),
    );
    expect(results.cells.length).toBeGreaterThanOrEqual(1);
    expect(results.runs.at(-1)?.completed).toBe(false);
    // Servers that could not start left no socket folder behind.
    expect((await readdir(tmpdir())).filter((n) => n.startsWith(`rm-sock-${pid}-`))).toEqual([]);
  }, 240_000);

  it("the Docker engine hanging mid-run: exit 2 once it has been silent for REPRO_MATRIX_ENGINE_TIMEOUT, finished cells saved", async () => {
    const { r, socket, results, afterFaultMs } = await engineFaultMidRun("engine-hung", { REPRO_MATRIX_ENGINE_TIMEOUT: "5" }, (proxy) =>
      proxy.freeze(),
    );
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(
      new RegExp(
        `^repro-matrix: the Docker engine at unix://${socket.replaceAll(".", "\\.")} has not answered for \\d+ s: the cells that finished are saved`,
      ),
    );
    // 5 s of silence, then the clean-up calls given up after 15 s; before, the run waited for ever.
    expect(afterFaultMs).toBeLessThan(45_000);
    expect(results.cells.length).toBeGreaterThanOrEqual(1);
    expect(results.runs.at(-1)?.completed).toBe(false);
  }, 240_000);

  it("the Docker engine answering pings but starting nothing: exit 2 after three cells that never started, finished cells saved", async () => {
    const { r, results, afterFaultMs } = await engineFaultMidRun("engine-stuck", {}, (proxy) => proxy.halfFreeze(), STUCK_SCENARIO);
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(
      /^repro-matrix: the docker runtime started no server for 3 cells in a row, each of which waited out its 8 s deadline .*: the cells that finished are saved/,
    );
    // The watchdog's pings were answered throughout: only the cells could tell.
    const cells = results.cells;
    expect(cells.filter((c) => c.outcome === "timeout" && c.phasesMs?.start === undefined)).toHaveLength(3);
    expect(cells.length).toBeLessThan(6);
    expect(results.runs.at(-1)?.completed).toBe(false);
    // Three cells' deadlines and the clean-up calls given up; before, each of the rest waited its deadline too.
    expect(afterFaultMs).toBeLessThan(90_000);
  }, 240_000);

  it("Ctrl-C with the Docker engine hung: exit 130 without waiting for it, finished cells saved", async () => {
    const { r, results, afterFaultMs } = await engineFaultMidRun(
      "engine-hung-sigint",
      { REPRO_MATRIX_ENGINE_TIMEOUT: "600" },
      (proxy, child) => {
        proxy.freeze();
        setTimeout(() => child.kill("SIGINT"), 1000);
      },
    );
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.exitCode, r.stderr).toBe(130);
    // The server's removal given up after 15 s; the run's own clean-up skipped once a ping goes unanswered.
    expect(afterFaultMs).toBeLessThan(30_000);
    expect(results.cells.length).toBeGreaterThanOrEqual(1);
    expect(results.runs.at(-1)?.completed).toBe(false);
  }, 240_000);

  it("a full disk in the cache dir: exit 2 with one line naming where, no stack trace", async () => {
    const dir = await tempDir("disk-full");
    const cache = join(dir, "cache");
    await mkdir(cache);
    // A 1 MiB filesystem: uv alone does not fit.
    await execa("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", cache]);
    try {
      const config = await writeConfig(dir, SCENARIO);
      const r = await execa(
        "node",
        [BIN, "run", "--runtime", "docker", "--config", config, "--out", join(dir, "reports"), "--cache-dir", cache],
        {
          reject: false,
          timeout: 180_000,
        },
      );
      expect(r.exitCode, r.stderr).toBe(2);
      // The run's first progress line, then the error: one line naming the place, no stack trace.
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(
        new RegExp(`^repro-matrix: no space left on device writing ${cache} \\(\\d+ KiB free\\): free space there, or point --cache-dir`),
      );
    } finally {
      await execa("umount", [cache]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
