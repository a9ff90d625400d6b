import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { pack } from "tar-stream";
import type { MachineFacts, ServerLimits } from "../../cell/record.js";
import { untilAborted } from "../../core/until-aborted.js";
import type {
  PlacedFile,
  Runtime,
  ServerExit,
  ServerPlace,
  ServerProcess,
  ServerSignal,
  ServerSpec,
  SignalSent,
  StartedServer,
} from "../runtime.js";
import { CONTAINER_PLACE, PUBLISHED_PORT, PUBLISHED_PORT_PLACE, SOCKET_DIR, SOCKET_DIR_PREFIX } from "./container-place.js";
import { cleanupSignal, collect, delay, envList, followOutput, SERVER_USER, streamEnded } from "./docker-output.js";
import type { EngineReach } from "./engine-address.js";
import { EnvHost, EnvHosts, KEEPER_COMMAND } from "./env-hosts.js";
import { ContainerSignals, MASTER_IN_CONTAINER } from "./server-signals.js";

/**
 * Limits that keep one misbehaving cell from starving the machine or the other cells (memory and
 * CPUs: the scenario's, else these). No swap: a server past its memory is killed, as it would be
 * on a host without swap, instead of slowing the machine for every cell (issue #20). /tmp is the
 * one writable place besides the app folder: gunicorn's --worker-tmp-dir and HOME.
 */
const LIMITS = { memoryMiB: 1024, cpus: 1, pids: 512, tmpMiB: 128 };

/** What a server's container is confined by, as recorded with its cell. */
export function containerLimits(spec: Pick<ServerSpec, "memoryMiB" | "cpus">, network: "none" | "bridge"): ServerLimits {
  const memoryMiB = spec.memoryMiB ?? LIMITS.memoryMiB;
  return {
    memoryMiB,
    memorySwapMiB: memoryMiB,
    cpus: spec.cpus ?? LIMITS.cpus,
    pids: LIMITS.pids,
    readOnlyRoot: true,
    tmpMiB: LIMITS.tmpMiB,
    network,
  };
}
const PORT_KEY = `${PUBLISHED_PORT}/tcp`;
/** What every server's environment holds besides the image's own (PATH) and the cell's (the trial). */
const SERVER_ENV = ["PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1", "HOME=/tmp", "LANG=C.UTF-8"];

export class DockerRuntime implements Runtime {
  readonly name = "docker" as const;
  readonly place: ServerPlace;
  readonly machine: MachineFacts | undefined;
  /** Containers kept per env and reused by its cells one after another (env-hosts.ts), when asked for. */
  private readonly hosts?: EnvHosts;

  /** `reach`: through a shared socket folder (the default), or a published port (engine-address.ts). */
  constructor(
    private readonly docker: Docker,
    private readonly labels: Record<string, string>,
    private readonly reach: EngineReach = { kind: "socket" },
    options: { reuseContainers?: boolean; machine?: MachineFacts } = {},
  ) {
    this.place = reach.kind === "socket" ? CONTAINER_PLACE : PUBLISHED_PORT_PLACE;
    this.machine = options.machine;
    if (options.reuseContainers) this.hosts = new EnvHosts((spec, signal) => this.openHost(spec, signal), this.place);
  }

  async start(spec: ServerSpec, signal: AbortSignal): Promise<StartedServer> {
    signal.throwIfAborted();
    if (this.hosts && spec.shareable) return this.hosts.start(spec, signal);
    const command = spec.command(this.place);
    // Every call takes the cell's signal: on a hung engine, Ctrl-C, the cell's deadline or the
    // engine watchdog ends the wait.
    const call = { abortSignal: signal };
    const { container, socketDir } = await this.createContainer(spec, command, signal);
    const started = new DockerServer(container, command, socketDir, this.limitsOf(spec));
    try {
      await container.putArchive(await this.filesTar(spec), { path: this.place.appDir, ...call });
      const stream = await container.attach({ stream: true, stdout: true, stderr: true, logs: true });
      started.follow(stream, this.docker, spec);
      await container.start(call);
      started.watchExit();
      signal.addEventListener("abort", () => void container.kill({ abortSignal: cleanupSignal() }).catch(() => undefined), {
        once: true,
      });
      if (this.reach.kind === "published-port") started.reachAt(this.reach.probeHost, await publishedPort(container, signal));
      return started;
    } catch (err) {
      await started[Symbol.asyncDispose]();
      throw err;
    }
  }

  private limitsOf(spec: ServerSpec): ServerLimits {
    return containerLimits(spec, this.reach.kind === "socket" ? "none" : "bridge");
  }

  /** Containers kept for reuse that no cell of `image` will need again (its env's cells are done). */
  async retire(image: string): Promise<void> {
    await this.hosts?.retire(image);
  }

  /**
   * A server's container, created but not started: its own network (none, and a socket folder
   * shared with the host) or a published port, the limits, the user and a fixed environment.
   * `command` is what the container runs: the server itself, or an env host's keeper.
   */
  private async createContainer(
    spec: ServerSpec,
    command: string[],
    signal: AbortSignal,
  ): Promise<{ container: Docker.Container; socketDir?: string }> {
    const reach = this.reach;
    // A short host path (unix socket paths are limited to ~107 bytes), writable by the container's user.
    const socketDir = reach.kind === "socket" ? await mkdtemp(join(tmpdir(), `${SOCKET_DIR_PREFIX}${process.pid}-`)) : undefined;
    if (socketDir) await chmod(socketDir, 0o777);
    const network =
      reach.kind === "socket"
        ? { NetworkMode: "none", Binds: [`${socketDir}:${SOCKET_DIR}`] }
        : { PortBindings: { [PORT_KEY]: [{ HostIp: reach.publishOn, HostPort: "" }] } };
    const container = await this.docker
      .createContainer({
        Image: spec.image,
        Cmd: command,
        User: SERVER_USER,
        WorkingDir: this.place.appDir,
        // A minimal environment: nothing of the host's leaks into the experiment.
        Env: [...SERVER_ENV, ...envList(spec.env)],
        Labels: { ...this.labels, ...spec.labels },
        ...(reach.kind === "socket" ? {} : { ExposedPorts: { [PORT_KEY]: {} } }),
        HostConfig: {
          ...network,
          Init: true,
          ...hostLimits(this.limitsOf(spec)),
          // The app folder: a volume of its own, since the engine puts no files into a read-only root.
          Mounts: [{ Type: "volume", Source: "", Target: this.place.appDir }],
          CapDrop: ["ALL"],
          SecurityOpt: ["no-new-privileges"],
          LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "1" } },
        },
        abortSignal: signal,
      })
      .catch(async (err: unknown) => {
        // No container to dispose of yet: the socket folder is this call's to remove.
        if (socketDir) await rm(socketDir, { recursive: true, force: true });
        throw err;
      });
    return { container, ...(socketDir ? { socketDir } : {}) };
  }

  /** The app's files, relative to appDir, where the archive is put (its volume; the root is read-only). */
  private filesTar(spec: ServerSpec): Promise<Buffer> {
    return tarOf(spec.files);
  }

  /** An env host: the container a pool keeps for the servers of one env, running only a keeper until they come. */
  private async openHost(spec: ServerSpec, signal: AbortSignal): Promise<EnvHost> {
    // The cell's own variables (the trial) go to each server's exec, not to the container its env's cells share.
    const { container, socketDir } = await this.createContainer({ ...spec, env: {} }, [...KEEPER_COMMAND], signal);
    try {
      await container.putArchive(await this.filesTar(spec), { path: this.place.appDir, abortSignal: signal });
      await container.start({ abortSignal: signal });
      const baseUrl =
        this.reach.kind === "published-port" ? urlOf(this.reach.probeHost, await publishedPort(container, signal)) : "http://localhost";
      const reach = { baseUrl, appDir: this.place.appDir, ...(socketDir ? { socketDir } : {}) };
      return new EnvHost(this.docker, container, spec.image, reach, this.limitsOf(spec));
    } catch (err) {
      await container.remove({ force: true, v: true, abortSignal: cleanupSignal() }).catch(() => undefined);
      if (socketDir) await rm(socketDir, { recursive: true, force: true });
      throw err;
    }
  }

  async exec(image: string, command: string[], signal: AbortSignal) {
    signal.throwIfAborted();
    const call = { abortSignal: signal };
    const container = await this.docker.createContainer({
      Image: image,
      Cmd: command,
      Labels: this.labels,
      HostConfig: { NetworkMode: "none" },
      ...call,
    });
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true, logs: true, ...call });
      const out = collect();
      const err = collect();
      this.docker.modem.demuxStream(stream, out.sink, err.sink);
      const ended = streamEnded(stream);
      await container.start(call);
      const { StatusCode } = (await container.wait(call)) as { StatusCode: number };
      await Promise.race([ended, delay(2000)]);
      return { exitCode: StatusCode, stdout: out.text(), stderr: err.text() };
    } finally {
      // Also what stops the command on abort: removal kills it.
      await container.remove({ force: true, v: true, abortSignal: cleanupSignal() }).catch(() => undefined);
    }
  }
}

/**
 * The host port the engine published the server's port on (asked for as "any free one"), or
 * undefined when the server already exited (the engine then lists no ports): readiness reports
 * the exit, as it would for a server on a socket.
 */
async function publishedPort(container: Docker.Container, signal: AbortSignal): Promise<string | undefined> {
  const info = await container.inspect({ abortSignal: signal });
  const ports = (info.NetworkSettings.Ports ?? {}) as Record<string, { HostPort: string }[] | null>;
  const port = ports[PORT_KEY]?.[0]?.HostPort;
  if (!port && info.State.Running) throw new Error(`the engine published no host port for ${PORT_KEY}`);
  return port;
}

class DockerServer implements StartedServer {
  baseUrl = "http://localhost";
  readonly socketPath: string | undefined;
  exited: Promise<ServerExit> = new Promise(() => {});
  private streamEnded: Promise<unknown> = Promise.resolve();
  /**
   * Ends the server's long-lived engine calls (its output, the wait for its exit) at disposal:
   * on a hung engine they never end, and their sockets would keep the process alive.
   */
  private readonly disposed = new AbortController();
  private output: NodeJS.ReadableStream | undefined;
  private signals: ContainerSignals | undefined;

  constructor(
    private readonly container: Docker.Container,
    readonly command: string[],
    private readonly socketDir: string | undefined,
    readonly limits: ServerLimits,
  ) {
    this.socketPath = socketDir ? join(socketDir, "gunicorn.sock") : undefined;
  }

  // The server is the container's command, under the engine's init (pid 1): the master is the init's child.
  kill(sig: ServerSignal, to: "master" | "worker", signal: AbortSignal): Promise<SignalSent> {
    return this.signals ? this.signals.kill(sig, to, signal) : Promise.resolve({ sent: false, why: "the server is not running" });
  }

  async workers(signal: AbortSignal): Promise<ServerProcess[]> {
    return this.signals ? this.signals.workers(signal) : [];
  }

  /**
   * Probed over TCP at the engine's published port, not through a socket. A server that exited
   * before it was published gets port 0, where nothing answers, while readiness sees the exit.
   */
  reachAt(host: string, port: string | undefined): void {
    this.baseUrl = urlOf(host, port);
  }

  follow(stream: NodeJS.ReadableStream, docker: Docker, spec: ServerSpec): void {
    this.output = stream;
    this.signals = new ContainerSignals(docker, this.container, MASTER_IN_CONTAINER);
    this.streamEnded = followOutput(stream, docker, spec.logs);
  }

  watchExit(): void {
    this.exited = this.container.wait({ abortSignal: this.disposed.signal }).then(async (r: { StatusCode: number }) => {
      const state = await this.container.inspect({ abortSignal: cleanupSignal() }).then(
        (i) => i.State,
        () => undefined,
      );
      return { exitCode: r.StatusCode, killed: Boolean(state?.OOMKilled) || r.StatusCode === 137 };
    });
    // Observed by callers later; never an unhandled rejection when the container vanishes.
    this.exited.catch(() => undefined);
  }

  async stop(graceSeconds: number, signal?: AbortSignal): Promise<ServerExit> {
    await this.container
      .stop({ t: Math.ceil(graceSeconds), ...(signal ? { abortSignal: signal } : {}) })
      .catch((e: { statusCode?: number }) => {
        // 304: already stopped; 404: already gone. Both are fine here.
        if (e.statusCode !== 304 && e.statusCode !== 404) throw e;
      });
    const exit = await (signal ? untilAborted(this.exited, signal) : this.exited);
    // Let the last output reach the collector before anyone reads it.
    await Promise.race([this.streamEnded, delay(2000)]);
    return exit;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.container.remove({ force: true, v: true, abortSignal: cleanupSignal() }).catch(() => undefined);
    this.disposed.abort();
    (this.output as { destroy?: () => void } | undefined)?.destroy?.();
    if (this.socketDir) await rm(this.socketDir, { recursive: true, force: true });
  }
}

/** The engine's names for the limits (bytes, nano-CPUs); MemorySwap equal to Memory is no swap. */
function hostLimits(l: ServerLimits) {
  const MiB = 1024 * 1024;
  return {
    Memory: (l.memoryMiB ?? LIMITS.memoryMiB) * MiB,
    MemorySwap: (l.memorySwapMiB ?? LIMITS.memoryMiB) * MiB,
    NanoCpus: Math.round((l.cpus ?? LIMITS.cpus) * 1e9),
    PidsLimit: l.pids ?? LIMITS.pids,
    ReadonlyRootfs: l.readOnlyRoot,
    // Sticky and world-writable, as /tmp is; exec for fixtures that run what they write there.
    Tmpfs: { "/tmp": `rw,nosuid,nodev,exec,mode=1777,size=${l.tmpMiB ?? LIMITS.tmpMiB}m` },
  };
}

const urlOf = (host: string, port: string | undefined) =>
  `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port ?? 0}`;

async function tarOf(files: PlacedFile[]): Promise<Buffer> {
  const tar = pack();
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.replace(/^\//, "").split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  for (const d of [...dirs].sort()) tar.entry({ name: `${d}/`, type: "directory", mode: 0o755 });
  for (const f of files) tar.entry({ name: f.path.replace(/^\//, ""), mode: 0o644 }, f.content);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
