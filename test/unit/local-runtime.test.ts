import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogCollector } from "../../harness/evidence/log-collector.js";
import { reapLocalOrphans } from "../../harness/runtimes/local/local-pid-files.js";
import { LocalRuntime } from "../../harness/runtimes/local/local-runtime.js";
import type { ServerSpec } from "../../harness/runtimes/runtime.js";

/** Answers "<its pid> <its child's pid>"; with "ignore-term" it shrugs off SIGTERM. */
const SERVER = `
import http.server, os, signal, subprocess, sys
if "ignore-term" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{os.getpid()} {child.pid}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, fmt, *args):
        print("request:", fmt % args, file=sys.stderr)
print("serving", flush=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
`;

let stateDir: string;
let python: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "local-runtime-"));
  // The real interpreter, not a pyenv shim: the server's PATH holds no shims.
  python = (await execa("python3", ["-c", "import sys; print(sys.executable)"])).stdout.trim();
});

afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

function spec(logs: LogCollector, ...flags: string[]): ServerSpec {
  return {
    image: join(stateDir, "no-venv"),
    command: (place) => [python, "server.py", place.bind.split(":")[1] as string, ...flags],
    files: [{ path: "server.py", content: SERVER }],
    logs,
    labels: { test: "local-runtime" },
  };
}

/** Polls until the server answers; returns [server pid, child pid]. */
async function waitUp(baseUrl: string): Promise<[number, number]> {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(baseUrl, { signal: AbortSignal.timeout(1000) });
      expect(res.status).toBe(200);
      const [pid, child] = (await res.text()).split(" ").map(Number);
      return [pid as number, child as number];
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A zombie (exited, not yet reaped by whoever adopted it) counts as gone. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat !== undefined && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

async function eventuallyGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    if (!(await alive(pid))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe("LocalRuntime", () => {
  it("serves from its app folder, stops with its whole process group, and logs", async () => {
    const logs = new LogCollector([]);
    const runtime = new LocalRuntime({ runId: "serve", stateDir });
    let pids: [number, number];
    {
      await using server = await runtime.start(spec(logs), AbortSignal.timeout(30_000));
      expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.command[0]).toBe(python);
      pids = await waitUp(server.baseUrl);
      expect(await alive(pids[0])).toBe(true);
      expect(await alive(pids[1])).toBe(true);
      expect(await readdir(join(stateDir, "local", "pids"))).toContain(`serve-${pids[0]}.json`);

      const exit = await server.stop(5);
      // SIGTERM, which python does not catch: 128 + 15, and not a kill.
      expect(exit).toEqual({ exitCode: 143, killed: false });
      await expect(server.exited).resolves.toEqual(exit);
      expect(await eventuallyGone(pids[0])).toBe(true);
      // The child it spawned went with it.
      expect(await eventuallyGone(pids[1])).toBe(true);
    }
    // Disposed: no pid file, no app folder; the run's folder goes when the run ends.
    expect(await readdir(join(stateDir, "local", "pids"))).not.toContain(`serve-${pids[0]}.json`);
    expect(await readdir(join(stateDir, "local", "serve"))).toEqual([]);
    await runtime.removeRunDir();
    expect(await readdir(join(stateDir, "local")).then((d) => d.includes("serve"))).toBe(false);
    const text = logs.finish().head.map((l) => `${l.stream}: ${l.text}`);
    expect(text).toContain("stdout: serving");
    expect(text.some((l) => l.startsWith('stderr: request: "GET / HTTP/1.1" 200'))).toBe(true);
  });

  it("kills a server that ignores SIGTERM once the grace period is over", async () => {
    const runtime = new LocalRuntime({ runId: "stubborn", stateDir });
    await using server = await runtime.start(spec(new LogCollector([]), "ignore-term"), AbortSignal.timeout(30_000));
    const [, child] = await waitUp(server.baseUrl);
    const started = performance.now();
    expect(await server.stop(1)).toEqual({ exitCode: 137, killed: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(await eventuallyGone(child)).toBe(true);
  });

  it("kills the group when the run is aborted", async () => {
    const runtime = new LocalRuntime({ runId: "abort", stateDir });
    const abort = new AbortController();
    await using server = await runtime.start(spec(new LogCollector([])), abort.signal);
    const [, child] = await waitUp(server.baseUrl);
    abort.abort();
    expect(await server.exited).toEqual({ exitCode: 137, killed: true });
    expect(await eventuallyGone(child)).toBe(true);
  });

  it("starts and disposes many servers of one run at once without tripping over the run folder", async () => {
    const runtime = new LocalRuntime({ runId: "churn", stateDir });
    const sleeper = (): ServerSpec => ({ ...spec(new LogCollector([])), command: () => [python, "-c", "import time; time.sleep(30)"] });
    const cycle = async () => {
      for (let i = 0; i < 10; i++) {
        const server = await runtime.start(sleeper(), AbortSignal.timeout(30_000));
        await server[Symbol.asyncDispose]();
      }
    };
    await Promise.all([cycle(), cycle(), cycle(), cycle()]);
    await runtime.removeRunDir();
    expect(await readdir(join(stateDir, "local")).then((d) => d.includes("churn"))).toBe(false);
  }, 60_000);

  it("refuses a command that cannot start as a harness fault, leaving no app folder behind", async () => {
    const logs = new LogCollector([]);
    const runtime = new LocalRuntime({ runId: "missing", stateDir });
    await expect(
      runtime.start(
        { ...spec(logs), command: (place) => [`${place.venv}/bin/gunicorn`, "--bind", place.bind] },
        AbortSignal.timeout(30_000),
      ),
    ).rejects.toThrow(/^local runtime: cannot start .*\/bin\/gunicorn: .*ENOENT/);
    expect(await readdir(join(stateDir, "local", "missing")).catch(() => [])).toEqual([]);
  });

  it("runs short commands on the host, a venv's bin first on PATH", async () => {
    const runtime = new LocalRuntime({ runId: "exec", stateDir });
    const r = await runtime.exec("", [python, "-c", "import os, sys; print(os.environ['PATH']); sys.exit(3)"], AbortSignal.timeout(10_000));
    expect(r).toEqual({ exitCode: 3, stdout: "/usr/local/bin:/usr/bin:/bin", stderr: "" });
    const missing = await runtime.exec("/nowhere", ["no-such-command"], AbortSignal.timeout(10_000));
    expect(missing.exitCode).toBe(127);
  });
});

describe("reapLocalOrphans", () => {
  it("kills the groups of dead harnesses and leaves live ones alone", async () => {
    const orphanRuntime = new LocalRuntime({ runId: "orphan", stateDir });
    const liveRuntime = new LocalRuntime({ runId: "live", stateDir });
    await using orphan = await orphanRuntime.start(spec(new LogCollector([])), AbortSignal.timeout(30_000));
    await using live = await liveRuntime.start(spec(new LogCollector([])), AbortSignal.timeout(30_000));
    const [orphanPid, orphanChild] = await waitUp(orphan.baseUrl);
    const [livePid] = await waitUp(live.baseUrl);

    // Pretend the orphan's harness crashed: its record names a process that has exited.
    const exited = execa("true");
    const harnessPid = exited.pid;
    await exited;
    const pidFile = join(stateDir, "local", "pids", `orphan-${orphanPid}.json`);
    const record = JSON.parse(await readFile(pidFile, "utf8"));
    await writeFile(pidFile, JSON.stringify({ ...record, harnessPid }));

    expect(await reapLocalOrphans(stateDir)).toBe(1);
    expect(await orphan.exited).toEqual({ exitCode: 137, killed: true });
    expect(await eventuallyGone(orphanChild)).toBe(true);
    const pidFiles = await readdir(join(stateDir, "local", "pids"));
    expect(pidFiles).not.toContain(`orphan-${orphanPid}.json`);
    expect(pidFiles).toContain(`live-${livePid}.json`);
    expect(await waitUp(live.baseUrl)).toEqual([livePid, expect.any(Number)]);

    // Nothing left to reap: the live harness is this process.
    expect(await reapLocalOrphans(stateDir)).toBe(0);
  });
});
