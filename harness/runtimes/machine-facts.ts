import { readFile } from "node:fs/promises";
import { availableParallelism, machine, type as osType, release, totalmem } from "node:os";
import type Docker from "dockerode";
import type { MachineFacts } from "../store/record.js";

const MiB = 1024 * 1024;

/** This machine, where the local runtime's servers run. */
export async function localMachine(): Promise<MachineFacts> {
  return { os: await osName(), kernel: release(), arch: machine(), cpus: availableParallelism(), memoryMiB: Math.round(totalmem() / MiB) };
}

/**
 * The machine an engine runs its containers on, as the engine tells it: for a remote engine,
 * that machine's kernel, CPUs and memory, not this one's.
 */
export async function engineMachine(docker: Docker, remote: boolean, signal: AbortSignal): Promise<MachineFacts> {
  // @types/dockerode leaves out the options info takes; dockerode passes abortSignal on.
  const info = await (docker as unknown as { info(o: object): Promise<Record<string, unknown>> }).info({ abortSignal: signal });
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : "unknown");
  return {
    os: text(info.OperatingSystem),
    kernel: text(info.KernelVersion),
    arch: text(info.Architecture),
    cpus: typeof info.NCPU === "number" ? info.NCPU : 0,
    memoryMiB: typeof info.MemTotal === "number" ? Math.round(info.MemTotal / MiB) : 0,
    engine: `Docker ${text(info.ServerVersion)}`,
    ...(remote ? { remoteEngine: true } : {}),
  };
}

/** The distribution's own name (os-release's PRETTY_NAME), else the kernel's. */
async function osName(): Promise<string> {
  const text = await readFile("/etc/os-release", "utf8").catch(() => "");
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1];
  return pretty || `${osType()} ${release()}`;
}
