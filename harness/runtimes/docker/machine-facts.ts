import type Docker from "dockerode";
import type { MachineFacts } from "../../cell/record.js";

const MiB = 1024 * 1024;

/**
 * The machine an engine runs its containers on, as the engine tells it: for a remote engine,
 * that machine's kernel, CPUs and memory, not this one's.
 */
export async function engineMachine(docker: Docker, remote: boolean, signal: AbortSignal): Promise<MachineFacts> {
  // @types/dockerode leaves out the options info takes; dockerode passes abortSignal on.
  const info = await (docker as unknown as { info(o: object): Promise<Record<string, unknown>> }).info({ abortSignal: signal });
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : "unknown");
  // Engines other than dockerd answer the same API (Podman's service): name the one that ran the cells.
  const version = (await (docker as unknown as { version(o: object): Promise<Record<string, unknown>> }).version({
    abortSignal: signal,
  })) as {
    Components?: { Name?: string; Version?: string }[];
  };
  const podman = version.Components?.find((c) => c.Name === "Podman Engine");
  return {
    os: text(info.OperatingSystem),
    kernel: text(info.KernelVersion),
    arch: text(info.Architecture),
    cpus: typeof info.NCPU === "number" ? info.NCPU : 0,
    memoryMiB: typeof info.MemTotal === "number" ? Math.round(info.MemTotal / MiB) : 0,
    engine: podman ? `Podman ${text(podman.Version)}` : `Docker ${text(info.ServerVersion)}`,
    ...(remote ? { remoteEngine: true } : {}),
  };
}
