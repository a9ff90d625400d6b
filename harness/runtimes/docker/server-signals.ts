import type Docker from "dockerode";
import { untilAborted } from "../../core/until-aborted.js";
import type { ServerProcess, ServerSignal, SignalSent } from "../runtime.js";
import { collect, SERVER_USER, streamEnded } from "./docker-output.js";

// Signals and process lists for a server in a container, by `docker exec` of a shell in it: the
// pids are the container's own, and the kill is the server's user's, as a process of its own would send.

/**
 * How to find the master, as a shell command that prints its pid: in a container of its own the
 * master is the engine's init's one child; in an env host, the pid file its wrapper wrote.
 */
export const MASTER_IN_CONTAINER = "cat /proc/1/task/1/children";
export const masterFromFile = (file: string) => `cat ${file}`;

/**
 * Prints "pid rssKb" for each child of the master (its workers). The master forks its workers
 * from its main thread, so that thread's children list holds them all.
 */
const WORKERS = `set -- $(eval "$1"); m=$1; [ -n "$m" ] || exit 3
for c in $(cat /proc/$m/task/$m/children 2>/dev/null); do
  echo "$c $(sed -n 's/^VmRSS:[^0-9]*\\([0-9]*\\).*/\\1/p' /proc/$c/status 2>/dev/null)"
done`;

/** Sends signal $2 to the master, or to its first child ($3 = worker), and prints the pid it signalled. */
const KILL = `sig=$2; to=$3; set -- $(eval "$1"); m=$1; [ -n "$m" ] || { echo "no master process"; exit 3; }
p=$m
if [ "$to" = worker ]; then
  set -- $(cat /proc/$m/task/$m/children 2>/dev/null); p=$1
  [ -n "$p" ] || { echo "the master (pid $m) has no worker"; exit 3; }
fi
kill -s "$sig" "$p" && echo "$p"`;

/** Runs `command` in the container as the server's user; stdout and stderr together. */
async function runIn(docker: Docker, container: Docker.Container, command: string[], signal: AbortSignal) {
  const call = { abortSignal: signal };
  const exec = await container.exec({ Cmd: command, User: SERVER_USER, AttachStdout: true, AttachStderr: true, ...call });
  const stream = await exec.start({ hijack: true, stdin: false, ...call });
  const output = collect();
  docker.modem.demuxStream(stream, output.sink, output.sink);
  await untilAborted(streamEnded(stream), signal);
  const { ExitCode } = await exec.inspect(call);
  return { exitCode: ExitCode ?? -1, output: output.text().trim() };
}

/** What a server in a container answers to kill() and workers(), given how to find its master. */
export class ContainerSignals {
  constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    private readonly master: string,
  ) {}

  async kill(sig: ServerSignal, to: "master" | "worker", signal: AbortSignal): Promise<SignalSent> {
    try {
      const r = await runIn(this.docker, this.container, ["/bin/sh", "-c", KILL, "kill", this.master, sig, to], signal);
      const pid = /^\d+$/.test(r.output) ? Number(r.output) : undefined;
      if (r.exitCode === 0 && pid !== undefined) return { sent: true, pid };
      return { sent: false, why: r.output.split("\n").at(-1) || `kill exited with ${r.exitCode}` };
    } catch (err) {
      // The run's own stop (Ctrl-C, the cell's deadline) is not the server's doing.
      signal.throwIfAborted();
      // A container that stopped (its master exited) takes no exec: the server is gone.
      return { sent: false, why: `the server's container takes no command (${(err as Error).message.split("\n")[0]})` };
    }
  }

  async workers(signal: AbortSignal): Promise<ServerProcess[]> {
    try {
      const r = await runIn(this.docker, this.container, ["/bin/sh", "-c", WORKERS, "workers", this.master], signal);
      return [...r.output.matchAll(/^(\d+) (\d+)$/gm)].map((m) => ({ pid: Number(m[1]), rssKb: Number(m[2]) }));
    } catch {
      signal.throwIfAborted();
      // No exec (the container stopped with its master): no workers either.
      return [];
    }
  }
}
