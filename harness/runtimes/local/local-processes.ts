import { readFile } from "node:fs/promises";
import type { ServerProcess, ServerSignal, SignalSent } from "../runtime.js";
import { signalProcess } from "./local-pid-files.js";

// A local server's workers and signals, read from the host's /proc: the master is the process
// the runtime started (gunicorn itself, in its own process group).

/** The master's children (its workers fork from its main thread), with their resident memory; empty once it is gone. */
export async function childProcesses(master: number): Promise<ServerProcess[]> {
  const children = await readFile(`/proc/${master}/task/${master}/children`, "utf8").catch(() => "");
  const found: ServerProcess[] = [];
  for (const pid of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    // A zombie (exited, not yet reaped) has no VmRSS: it is no longer a worker.
    const rss = /^VmRSS:\s*(\d+)/m.exec(status)?.[1];
    if (rss) found.push({ pid, rssKb: Number(rss) });
  }
  return found;
}

/**
 * Sends `sig` to the master or to its first worker. Only a child of the master is ever
 * signalled as a worker, so no other process of the host can be reached this way.
 */
export async function signalServer(master: number | undefined, sig: ServerSignal, to: "master" | "worker"): Promise<SignalSent> {
  if (master === undefined) return { sent: false, why: "the server never started" };
  const pid = to === "master" ? master : (await childProcesses(master))[0]?.pid;
  if (pid === undefined) return { sent: false, why: `the master (pid ${master}) has no worker` };
  return signalProcess(pid, `SIG${sig}`) ? { sent: true, pid } : { sent: false, why: `no process ${pid} to signal` };
}
