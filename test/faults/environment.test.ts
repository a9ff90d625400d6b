import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { connectDocker } from "../../harness/runtimes/docker-engine.js";
import { OWNER_PID_LABEL } from "../../harness/runtimes/labels.js";
import { ResultsFile } from "../../harness/store/results-file.js";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";

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

/** A stand-in for the engine's socket that forwards to the real one, and can be pulled out. */
async function engineProxy(path: string): Promise<{ stop: () => Promise<void> }> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect("/var/run/docker.sock");
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("error", () => undefined);
      s.on("close", () => open.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
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
  it("the Docker engine stopping mid-run: exit 2 naming the engine, finished cells saved, no hang", async () => {
    const dir = await tempDir("engine-gone");
    const config = await writeConfig(dir, SCENARIO);
    const socket = join(dir, "docker.sock");
    const proxy = await engineProxy(socket);
    const child = execa("node", [BIN, "run", "--runtime", "docker", "--config", config, "--out", dir, "--concurrency", "1"], {
      reject: false,
      env: { REPRO_MATRIX_CACHE: CACHE_DIR, DOCKER_HOST: `unix://${socket}` },
      timeout: 180_000,
    });
    try {
      await new Promise<void>((resolve) => {
        child.stderr?.on("data", (b: Buffer) => {
          if (/\[1\/4\]/.test(b.toString())) resolve();
        });
        void child.then(() => resolve());
      });
      await proxy.stop();
      const r = await child;
      expect(r.timedOut).toBe(false);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(
        new RegExp(
          `^repro-matrix: the Docker engine at unix://${socket.replaceAll(".", "\\.")} stopped answering mid-run \\((ENOENT|ECONNREFUSED|ECONNRESET|EPIPE)\\): the cells that finished are saved`,
        ),
      );
      const results = ResultsFile.parse(JSON.parse(await readFile(join(dir, "it-env-fault", "results.json"), "utf8")));
      expect(results.cells.length).toBeGreaterThanOrEqual(1);
      expect(results.runs.at(-1)?.completed).toBe(false);
      // Servers that could not start left no socket folder behind.
      expect((await readdir(tmpdir())).filter((n) => n.startsWith(`rm-sock-${child.pid}-`))).toEqual([]);
    } finally {
      await proxy.stop();
      // The engine itself is fine: remove what the cut-off run could not.
      const engine = await connectDocker();
      for (const c of await engine.listContainers({ all: true, filters: { label: [`${OWNER_PID_LABEL}=${child.pid}`] } }))
        await engine.getContainer(c.Id).remove({ force: true });
    }
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
