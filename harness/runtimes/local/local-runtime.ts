import { once } from "node:events";
import { constants as fsConstants } from "node:fs";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { constants } from "node:os";
import { dirname, join, resolve } from "node:path";
import { execa, type ResultPromise } from "execa";
import type { MachineFacts, ServerLimits } from "../../cell/record.js";
import type {
  OutputSink,
  PlacedFile,
  Runtime,
  ServerExit,
  ServerProcess,
  ServerSignal,
  ServerSpec,
  SignalSent,
  StartedServer,
} from "../runtime.js";
import { isInside, readStat, signalProcess, writePidRecord } from "./local-pid-files.js";
import { childProcesses, signalServer } from "./local-processes.js";

/** After the venv's bin: the system's tools, nothing from the user's PATH (pyenv shims, ~/.local). */
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";
/** How long stop() waits for the last output once the server is gone. */
const OUTPUT_DRAIN_MS = 2000;
/** How long disposal waits for a SIGKILLed group before removing its folder anyway. */
const DISPOSE_WAIT_MS = 5000;

/** util-linux's prlimit: sets the rlimits, then execs the command (the pid stays the server's). */
const PRLIMIT = "/usr/bin/prlimit";
/** Open files per process: far above what a fixture needs, far below what a descriptor leak would reach. */
const NOFILE = 4096;
/**
 * Address space per process, as a multiple of limits.memoryMiB. It is no cap on the server as a
 * whole (docker's cgroup is): threads and arenas reserve far more than they use, so a tighter
 * one breaks healthy workers; this one turns a runaway allocation into a MemoryError instead of
 * the host's swap.
 */
const ADDRESS_SPACE_FACTOR = 4;

/**
 * What the local runtime can confine a server by: its own session (setsid, always), and rlimits
 * through prlimit where installed (no core files, bounded open files and address space). It
 * cannot cap the server's memory or CPUs as a whole, make the filesystem read-only, or cut the
 * network: `unshare -n` would also cut the loopback port the probes use (see README).
 */
async function confinement(spec: ServerSpec): Promise<{ prefix: string[]; limits: ServerLimits }> {
  const base: ServerLimits = { readOnlyRoot: false, network: "host", ownSession: true };
  if (
    !(await access(PRLIMIT, fsConstants.X_OK).then(
      () => true,
      () => false,
    ))
  )
    return { prefix: [], limits: base };
  const asBytes = (spec.memoryMiB ?? 1024) * ADDRESS_SPACE_FACTOR * 1024 * 1024;
  const rlimits = { core: 0, nofile: NOFILE, as: asBytes };
  return {
    prefix: [PRLIMIT, `--core=${rlimits.core}`, `--nofile=${rlimits.nofile}`, `--as=${rlimits.as}`, "--"],
    limits: { ...base, rlimits },
  };
}

/**
 * Servers as plain processes on the host, each in its own process group so that it and every
 * worker it forks can be signalled (and killed) together. A pid file per server lets a later
 * run kill what a crashed harness left running.
 */
export class LocalRuntime implements Runtime {
  readonly name = "local" as const;
  private readonly runId: string;
  private readonly stateDir: string;
  readonly machine: MachineFacts | undefined;
  /**
   * Ports handed to this runtime's servers that they may not have bound yet: the kernel could
   * hand the same free port to two cells started at once, so a port stays taken until disposal.
   */
  private readonly reservedPorts = new Set<number>();

  constructor({ runId, stateDir, machine }: { runId: string; stateDir: string; machine?: MachineFacts }) {
    this.runId = runId;
    this.stateDir = stateDir;
    this.machine = machine;
  }

  /** Called when the run ends: every server of the run has been disposed by then. */
  async removeRunDir(): Promise<void> {
    await rm(join(this.stateDir, "local", this.runId), { recursive: true, force: true });
  }

  async start(spec: ServerSpec, signal: AbortSignal): Promise<StartedServer> {
    signal.throwIfAborted();
    const appDir = await makeAppDir(join(this.stateDir, "local", this.runId));
    let port: number | undefined;
    let server: LocalServer | undefined;
    try {
      await placeFiles(appDir, spec.files);
      port = await reservePort(this.reservedPorts);
      const place = { venv: spec.image, appDir, bind: `127.0.0.1:${port}` };
      const command = spec.command(place);
      if (command.length === 0) throw new Error("local runtime: empty server command");
      // Under prlimit a missing program is prlimit's failed exec (exit 127), not a spawn error:
      // said here as the spawn would have said it.
      const program = command[0] as string;
      const missing = program.startsWith("/")
        ? await access(program, fsConstants.X_OK).then(
            () => undefined,
            (e: Error) => e,
          )
        : undefined;
      if (missing) throw new Error(`local runtime: cannot start ${program}: ${missing.message}`);
      const confined = await confinement(spec);
      const [file, ...args] = [...confined.prefix, ...command] as [string, ...string[]];
      const child = execa(file, args, {
        cwd: appDir,
        // Its own process group (setsid): gunicorn's workers are signalled and killed with it.
        detached: true,
        // A minimal environment: nothing of the host's (PIP_*, PYTHONPATH, VIRTUAL_ENV) leaks in.
        extendEnv: false,
        env: {
          PATH: `${spec.image}/bin:${SYSTEM_PATH}`,
          PYTHONUNBUFFERED: "1",
          PYTHONDONTWRITEBYTECODE: "1",
          HOME: appDir,
          LANG: "C.UTF-8",
          ...spec.env,
        },
        stdin: "ignore",
        buffer: false,
        reject: false,
      });
      if (child.pid === undefined) {
        // Not a fact about the env (its packages were checked against the lock): the harness
        // asked for a program that is not there, e.g. a venv path that points nowhere.
        const failed = await child;
        throw new Error(`local runtime: cannot start ${file}: ${failed.shortMessage}`);
      }
      const reserved = port;
      server = new LocalServer(child, command, `http://127.0.0.1:${port}`, appDir, spec.logs, signal, () =>
        this.reservedPorts.delete(reserved),
      );
      server.limits = confined.limits;
      if (child.pid !== undefined) {
        server.pidFile = await writePidRecord(this.stateDir, {
          pid: child.pid,
          pgid: child.pid,
          ...(await readStat(child.pid).then((s) => (s ? { startTime: s.startTime } : {}))),
          harnessPid: process.pid,
          runId: this.runId,
          venv: spec.image,
          appDir,
          labels: spec.labels,
        });
      }
      // Aborted while starting: the abort listener killed it; hand back nothing, clean up below.
      signal.throwIfAborted();
      return server;
    } catch (err) {
      if (server) await server[Symbol.asyncDispose]();
      else {
        if (port !== undefined) this.reservedPorts.delete(port);
        await rm(appDir, { recursive: true, force: true });
      }
      throw err;
    }
  }

  /** Runs on the host; `image`, when given, is a venv whose bin/ comes first on PATH. */
  async exec(image: string, command: string[], signal: AbortSignal) {
    signal.throwIfAborted();
    const [file, ...args] = command;
    if (!file) throw new Error("local runtime: empty command");
    const r = await execa(file, args, {
      reject: false,
      stdin: "ignore",
      cancelSignal: signal,
      extendEnv: false,
      env: {
        PATH: image ? `${image}/bin:${SYSTEM_PATH}` : SYSTEM_PATH,
        LANG: "C.UTF-8",
        ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      },
    });
    signal.throwIfAborted();
    const spawnFailed = r.exitCode === undefined && !r.signal;
    return {
      exitCode: exitCodeOf(r.exitCode ?? null, r.signal ?? null),
      stdout: String(r.stdout ?? ""),
      stderr: String((spawnFailed ? r.shortMessage : r.stderr) ?? ""),
    };
  }
}

class LocalServer implements StartedServer {
  readonly exited: Promise<ServerExit>;
  pidFile: string | undefined;
  /** The confinement it runs under (confinement()), recorded with the cell. */
  limits: ServerLimits | undefined;
  private ended = false;
  private killedAfterGrace = false;
  /** execa's promise settles once the process has exited and its output streams have ended. */
  private readonly outputDone: Promise<unknown>;
  private readonly onAbort = () => this.signalGroup("SIGKILL");

  constructor(
    private readonly child: ResultPromise,
    readonly command: string[],
    readonly baseUrl: string,
    private readonly appDir: string,
    logs: OutputSink,
    private readonly signal: AbortSignal,
    private readonly releasePort: () => void,
  ) {
    for (const [name, stream] of [
      ["stdout", child.stdout],
      ["stderr", child.stderr],
    ] as const) {
      // Decoded as a stream, so a character split across two chunks arrives whole.
      stream?.setEncoding("utf8");
      stream?.on("data", (text: string) => logs.write(name, text));
    }
    this.outputDone = child.then(
      () => undefined,
      () => undefined,
    );
    this.exited = new Promise<ServerExit>((resolveExit) => {
      // "exit", not execa's promise: a grandchild holding the output pipe open must not hide the exit.
      child.nodeChildProcess.once("exit", (code, sig) => resolveExit(this.exitOf(code, sig)));
      // A command that could not be spawned never emits "exit"; like a shell, say why and give 127.
      child.then(
        (r) => {
          if (child.pid === undefined) logs.write("stderr", `${r.shortMessage ?? "could not start"}\n`);
          resolveExit(this.exitOf(r.exitCode ?? null, (r.signal as NodeJS.Signals | undefined) ?? null));
        },
        () => resolveExit(this.exitOf(null, null)),
      );
    });
    void this.exited.then(() => {
      this.ended = true;
    });
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  async stop(graceSeconds: number): Promise<ServerExit> {
    // SIGTERM to the leader only, as docker stop does through the container's init: gunicorn's
    // master then stops its workers itself. Signalling the whole group would hand each worker a
    // second SIGTERM, which some uvicorn versions take as "force exit".
    if (!this.ended) this.signalLeader("SIGTERM");
    const inTime = await Promise.race([this.exited.then(() => true), delay(graceSeconds * 1000).then(() => false)]);
    if (!inTime) {
      this.killedAfterGrace = true;
      this.signalGroup("SIGKILL");
    }
    const exit = await this.exited;
    // Whatever it left running dies with it, as everything in a container does when its init ends.
    this.signalGroup("SIGKILL");
    // Let the last output reach the collector before anyone reads it.
    await Promise.race([this.outputDone, delay(OUTPUT_DRAIN_MS)]);
    return exit;
  }

  async kill(sig: ServerSignal, to: "master" | "worker", signal: AbortSignal): Promise<SignalSent> {
    signal.throwIfAborted();
    // An exited master's pid may already be another process's: it is not signalled.
    if (this.ended) return { sent: false, why: "the server has exited" };
    return signalServer(this.child.pid, sig, to);
  }

  async workers(signal: AbortSignal): Promise<ServerProcess[]> {
    signal.throwIfAborted();
    return this.child.pid === undefined || this.ended ? [] : childProcesses(this.child.pid);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.signal.removeEventListener("abort", this.onAbort);
    this.signalGroup("SIGKILL");
    const gone = await Promise.race([this.exited.then(() => true), delay(DISPOSE_WAIT_MS).then(() => false)]);
    // A process that escaped the group may hold the pipes open; they are not read any more.
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    try {
      await rm(this.appDir, { recursive: true, force: true });
      // A server that would not die stays on record, for the next run's reaper.
      if (gone && this.pidFile) await rm(this.pidFile, { force: true });
    } finally {
      this.releasePort();
    }
  }

  private exitOf(code: number | null, sig: NodeJS.Signals | null): ServerExit {
    return { exitCode: exitCodeOf(code, sig), killed: sig === "SIGKILL" || this.killedAfterGrace };
  }

  private signalLeader(sig: NodeJS.Signals): void {
    if (this.child.pid !== undefined) signalProcess(this.child.pid, sig);
  }

  /**
   * The group outlives its leader while any worker lives, and Linux does not reuse a pid that
   * still names a group, so signalling the group after the leader's exit reaches only its own.
   */
  private signalGroup(sig: NodeJS.Signals): void {
    if (this.child.pid !== undefined) signalProcess(-this.child.pid, sig);
  }
}

/**
 * <runDir>/app-XXXXXX. The run folder is removed once, when the run ends (removeRunDir), never
 * by a finishing server: that raced with a starting server's mkdir and failed the run.
 */
async function makeAppDir(runDir: string): Promise<string> {
  await mkdir(runDir, { recursive: true });
  return mkdtemp(join(runDir, "app-"));
}

async function placeFiles(appDir: string, files: PlacedFile[]): Promise<void> {
  for (const f of files) {
    const target = resolve(appDir, f.path);
    if (!isInside(appDir, target)) throw new Error(`local runtime: ${f.path} would land outside the app folder`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.content);
  }
}

/** A port free on loopback now; the server binds it moments later (a small race, as with any port 0 probe). */
async function reservePort(reservedPorts: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = createServer();
    probe.listen(0, "127.0.0.1");
    await once(probe, "listening");
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    if (!reservedPorts.has(port)) {
      reservedPorts.add(port);
      return port;
    }
  }
  throw new Error("local runtime: no free port on 127.0.0.1");
}

/** Ended by a signal: 128 + its number, as a shell (and docker) reports it; never spawned: 127. */
function exitCodeOf(code: number | null, sig: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (sig) return 128 + (constants.signals[sig] ?? 0);
  return 127;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
