import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import type { ServerLimits } from "../../cell/record.js";
import { untilAborted } from "../../core/until-aborted.js";
import type { ServerExit, ServerPlace, ServerProcess, ServerSignal, ServerSpec, SignalSent, StartedServer } from "../runtime.js";
import { cleanupSignal, collect, delay, envList, followOutput, SERVER_USER, streamEnded } from "./docker-output.js";
import { ContainerSignals, masterFromFile } from "./server-signals.js";

/**
 * What an env host's container runs between servers: a sleep, under the engine's init (which
 * reaps whatever a server orphans). It runs as the servers' user, so clearing up spares it by pid.
 */
export const KEEPER_COMMAND = ["sleep", "infinity"] as const;
/** The server's pid, for the stop signal; /tmp is emptied after every server, so the next one starts without it. */
const PID_FILE = "/tmp/.repro-matrix-server.pid";
/** Becomes the server (exec), so its pid is the server's and it gets the signals a container's server would. */
const SERVER_WRAPPER = `echo $$ > ${PID_FILE} && exec "$@"`;
/**
 * Kills every process but the init, the keeper and itself (in rounds: a dying server may still
 * fork), then empties /tmp, where a server keeps its files (HOME, gunicorn's worker files).
 */
const CLEAR_UP = `k=$1
for round in 1 2 3 4 5; do
  left=0
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [ "$p" = 1 ] || [ "$p" = "$k" ] || [ "$p" = "$$" ] || { kill -KILL "$p" 2>/dev/null && left=1; }
  done
  [ "$left" = 0 ] && break
done
rm -rf /tmp/* /tmp/.[!.]* /tmp/..?* 2>/dev/null
exit 0`;

/**
 * A container kept for the servers of one env, one at a time: each server is a `docker exec`
 * in it, so a cell skips creating, starting and removing a container (measured in
 * reports/bench.md). The server sees what it would in a container of its own: the same image,
 * limits, user, environment, working folder and files, no process of the server before it, and
 * an empty /tmp; test/integration/env-hosts.test.ts holds the outcomes to that.
 */
export class EnvHost {
  /** The keeper's pid, read once the container runs: the one process clearing up must spare. */
  private keeperPid: string | undefined;

  constructor(
    readonly docker: Docker,
    readonly container: Docker.Container,
    /** The env image it was made from: retiring an env removes its idle hosts by it. */
    readonly image: string,
    readonly reach: { baseUrl: string; appDir: string; socketDir?: string },
    /** The container's confinement, which every server in it shares (recorded with each cell). */
    readonly limits?: ServerLimits,
  ) {}

  /** Runs `command` to its end, as the servers' user; its output is returned, not followed. */
  async run(command: string[], signal: AbortSignal): Promise<{ exitCode: number; output: string }> {
    return (await this.prepare(command, signal))();
  }

  /**
   * An exec made ready, to start when called: what is left for the call is only the start's
   * latency. `signal` ends every wait on the engine (a hung one answers nothing).
   */
  async prepare(command: string[], signal: AbortSignal): Promise<() => Promise<{ exitCode: number; output: string }>> {
    const call = { abortSignal: signal };
    const exec = await this.container.exec({ Cmd: command, User: SERVER_USER, AttachStdout: true, AttachStderr: true, ...call });
    return async () => {
      const stream = await exec.start({ hijack: true, stdin: false, ...call });
      const output = collect();
      this.docker.modem.demuxStream(stream, output.sink, output.sink);
      await untilAborted(streamEnded(stream), signal);
      const { ExitCode } = await exec.inspect(call);
      return { exitCode: ExitCode ?? -1, output: output.text() };
    };
  }

  async keeper(): Promise<string> {
    if (this.keeperPid) return this.keeperPid;
    // The init's one child is the keeper (servers are started by exec, not by the init), as long
    // as no server has run: what a server orphans becomes the init's child too. Read at opening.
    const { output } = await this.run(["cat", "/proc/1/task/1/children"], cleanupSignal());
    const pid = /\d+/.exec(output)?.[0];
    if (!pid) throw new Error("env host: cannot find the keeper's pid in /proc/1/task/1/children");
    this.keeperPid = pid;
    return pid;
  }

  /** Every process of the server before gone and /tmp empty; false when the container cannot say so. */
  async clearUp(): Promise<boolean> {
    const keeper = await this.keeper();
    const { exitCode } = await this.run(["/bin/sh", "-c", CLEAR_UP, "clear-up", keeper], cleanupSignal());
    // A stale socket would answer nothing, but readiness must not see it as the next server's.
    if (this.reach.socketDir) await rm(join(this.reach.socketDir, "gunicorn.sock"), { force: true });
    return exitCode === 0;
  }

  async remove(): Promise<void> {
    await this.container.remove({ force: true, v: true, abortSignal: cleanupSignal() }).catch(() => undefined);
    if (this.reach.socketDir) await rm(this.reach.socketDir, { recursive: true, force: true });
  }
}

/** A server started by exec in an env host; disposing it clears the host up for the next server, or removes it. */
class HostedServer implements StartedServer {
  readonly baseUrl: string;
  readonly socketPath: string | undefined;
  readonly exited: Promise<ServerExit>;
  readonly limits: ServerLimits | undefined;
  private readonly streamEnded: Promise<unknown>;
  private ended = false;
  /** The host's container was killed (the grace ran out) or given up: it is not used again. */
  private killed = false;
  /** The server's master is the wrapper that wrote the pid file and became it. */
  private readonly signals: ContainerSignals;

  constructor(
    private readonly host: EnvHost,
    exec: Docker.Exec,
    private readonly stream: NodeJS.ReadableStream,
    readonly command: string[],
    spec: ServerSpec,
    private readonly release: (host: EnvHost, reusable: boolean) => Promise<void>,
  ) {
    this.baseUrl = host.reach.baseUrl;
    this.limits = host.limits;
    this.signals = new ContainerSignals(host.docker, host.container, masterFromFile(PID_FILE));
    this.socketPath = host.reach.socketDir ? join(host.reach.socketDir, "gunicorn.sock") : undefined;
    this.streamEnded = followOutput(stream, host.docker, spec.logs);
    // The output ends when the server and every process holding its output have ended; the exit
    // code is then the server's (137 when it was killed, as a container's would be).
    this.exited = this.streamEnded.then(async () => {
      this.ended = true;
      const code = await exec.inspect({ abortSignal: cleanupSignal() }).then(
        (i) => i.ExitCode,
        () => undefined,
      );
      return code === undefined || code === null ? { exitCode: 137, killed: true } : { exitCode: code, killed: code === 137 };
    });
    this.exited.catch(() => undefined);
  }

  kill(sig: ServerSignal, to: "master" | "worker", signal: AbortSignal): Promise<SignalSent> {
    return this.signals.kill(sig, to, signal);
  }

  workers(signal: AbortSignal): Promise<ServerProcess[]> {
    return this.signals.workers(signal);
  }

  /** As `docker stop -t grace` on a container of its own: SIGTERM to the server; after the grace, the container is killed. */
  async stop(graceSeconds: number, signal?: AbortSignal): Promise<ServerExit> {
    if (!this.ended) {
      const term = await this.host.prepare(
        ["/bin/sh", "-c", `kill -TERM "$(cat ${PID_FILE})" 2>/dev/null; exit 0`],
        signal ? AbortSignal.any([signal, cleanupSignal()]) : cleanupSignal(),
      );
      // The grace counts from the signal being sent, and the kill after it is the engine's, as in
      // `docker stop`: a server whose own timers end with the grace (gunicorn's --graceful-timeout
      // is the grace) then races the kill as it would in a container of its own. A kill by exec
      // landed some 50 ms later, and a uvicorn 0.3.10 worker's lifespan timeout got its traceback
      // out first: a clean cell read as other-failure.
      const graceOver = delay(Math.ceil(graceSeconds) * 1000).then(() => false);
      // A host that cannot exec any more (gone) ends the server's output: the race below sees it.
      await term().catch(() => undefined);
      if (!(await Promise.race([this.exited.then(() => true), graceOver]))) {
        this.killed = true;
        await this.host.container.kill({ abortSignal: cleanupSignal() }).catch(() => undefined);
      }
    }
    const exit = await Promise.race([this.exited, delay(5000).then(() => undefined)]);
    if (!exit) this.killed = true;
    // Killed with its container: the exit a container's own server would have had.
    return this.killed ? { exitCode: 137, killed: true } : (exit as ServerExit);
  }

  /** Set by the pool: stops listening to the cell's signal. */
  detach: () => void = () => undefined;

  /** Called on abort: the host is given up (removed), which ends the server however it is. */
  abandon(): void {
    this.killed = true;
    void this.host.remove();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // The cell's signal outlives the cell (its deadline fires later): it must not reach the host once another cell has it.
    this.detach();
    let reusable = !this.killed;
    if (reusable) {
      reusable = await this.host.clearUp().catch(() => false);
      // Whatever held the server's output is gone after clearing up; if the output still has not
      // ended, something outlives a SIGKILL, and the container is not used again.
      reusable &&= await Promise.race([this.streamEnded.then(() => true), delay(2000).then(() => false)]);
    }
    await this.release(this.host, reusable);
    // On a hung engine the output never ends, and its socket would keep the process alive.
    (this.stream as { destroy?: () => void }).destroy?.();
  }
}

/**
 * The env hosts of a runtime: an idle host of the same env (image, files, limits, labels) is
 * reused, else a new one is opened. A host runs one server at a time, so cells of one env still
 * run in parallel, each in a host of its own.
 */
export class EnvHosts {
  private readonly idle = new Map<string, EnvHost[]>();

  constructor(
    private readonly open: (spec: ServerSpec, signal: AbortSignal) => Promise<EnvHost>,
    private readonly place: ServerPlace,
  ) {}

  async start(spec: ServerSpec, signal: AbortSignal): Promise<StartedServer> {
    const key = hostKey(spec);
    const host = this.idle.get(key)?.pop() ?? (await this.opened(spec, signal));
    const command = spec.command(this.place);
    const release = async (h: EnvHost, reusable: boolean) => {
      if (reusable && !signal.aborted) {
        this.idle.set(key, [...(this.idle.get(key) ?? []), h]);
        return;
      }
      await h.remove();
    };
    try {
      signal.throwIfAborted();
      const exec = await host.container.exec({
        Cmd: ["/bin/sh", "-c", SERVER_WRAPPER, "server", ...command],
        User: SERVER_USER,
        WorkingDir: this.place.appDir,
        Env: envList(spec.env),
        AttachStdout: true,
        AttachStderr: true,
        abortSignal: signal,
      });
      const stream = await exec.start({ hijack: true, stdin: false, abortSignal: signal });
      const server = new HostedServer(host, exec, stream, command, spec, release);
      const onAbort = () => server.abandon();
      signal.addEventListener("abort", onAbort, { once: true });
      server.detach = () => signal.removeEventListener("abort", onAbort);
      return server;
    } catch (err) {
      await release(host, false);
      throw err;
    }
  }

  /** Removes the idle hosts of `image`: its env has no cell left to run. */
  async retire(image: string): Promise<void> {
    for (const [key, hosts] of this.idle) {
      this.idle.set(
        key,
        hosts.filter((h) => h.image !== image),
      );
      await Promise.all(hosts.filter((h) => h.image === image).map((h) => h.remove()));
    }
  }

  private async opened(spec: ServerSpec, signal: AbortSignal): Promise<EnvHost> {
    const host = await this.open(spec, signal);
    try {
      await host.keeper();
    } catch (err) {
      await host.remove();
      throw err;
    }
    return host;
  }
}

/** Hosts are interchangeable when everything their container was made from is the same. */
function hostKey(spec: ServerSpec): string {
  const files = createHash("sha256");
  for (const f of spec.files) files.update(f.path).update("\0").update(f.content).update("\0");
  return JSON.stringify([spec.image, spec.memoryMiB ?? null, spec.cpus ?? null, spec.labels, files.digest("hex")]);
}
