import Docker from "dockerode";
import { type Check, describeError, errorCode, fail, ok, warn } from "../../core/check.js";
import { engineAddress } from "../../core/settings.js";
import { MANAGED_LABEL, OWNER_PID_LABEL } from "./labels.js";
import { isAlive } from "./reaper.js";

/** The engine facts doctor reads (from `docker info`). */
export interface EngineInfo {
  serverVersion: string;
  storageDriver: string;
  /** Docker's data root on the engine's machine (images, containers). */
  rootDir?: string;
  osType: string;
  rootless: boolean;
  /** Whether the engine can enforce a cell's memory limit. */
  memoryLimit: boolean;
}

/** The few engine calls doctor makes; tests pass a fake (one that never answers, say). */
export interface EngineClient {
  ping(signal: AbortSignal): Promise<void>;
  info(signal: AbortSignal): Promise<EngineInfo>;
  /** Owner pids of every container the harness labelled (running or not). */
  harnessContainerOwners(signal: AbortSignal): Promise<number[]>;
  hasImage(ref: string, signal: AbortSignal): Promise<boolean>;
}

/** A remote engine's data root is on another machine: its free space cannot be read from here. */
export const engineIsLocal = () => {
  const host = process.env.DOCKER_HOST;
  return host === undefined || host === "" || host.startsWith("unix://") || host.startsWith("npipe://");
};

export function dockerEngineClient(docker: Docker = new Docker()): EngineClient {
  // @types/dockerode leaves out the options ping and info take; dockerode passes abortSignal on.
  const untyped = docker as unknown as { ping(o: object): Promise<unknown>; info(o: object): Promise<Record<string, unknown>> };
  return {
    ping: async (abortSignal) => void (await untyped.ping({ abortSignal })),
    info: async (abortSignal) => {
      const i = await untyped.info({ abortSignal });
      const security = Array.isArray(i.SecurityOptions) ? (i.SecurityOptions as string[]) : [];
      return {
        serverVersion: String(i.ServerVersion ?? "unknown"),
        storageDriver: String(i.Driver ?? "unknown"),
        ...(typeof i.DockerRootDir === "string" && i.DockerRootDir ? { rootDir: i.DockerRootDir } : {}),
        osType: String(i.OSType ?? "linux"),
        rootless: security.some((o) => o.split(",").includes("name=rootless")),
        memoryLimit: i.MemoryLimit !== false,
      };
    },
    harnessContainerOwners: async (abortSignal) => {
      const list = await docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] }, abortSignal });
      return list.map((c) => Number(c.Labels[OWNER_PID_LABEL]));
    },
    hasImage: async (ref, abortSignal) => {
      const images = await docker.listImages({ filters: { reference: [ref] }, abortSignal });
      return images.length > 0;
    },
  };
}

const START_FIX = "start one (e.g. `sudo dockerd`; see README) or set DOCKER_HOST; or run with --runtime local";

/** The fix for an engine that does not answer, by how it failed (never by message text). */
function unreachable(where: string, err: unknown, signal: AbortSignal): Check {
  const name = "docker engine";
  if (signal.aborted) return fail(name, `${where} did not answer in time`, "restart the engine (is dockerd hung?) or set DOCKER_HOST");
  const code = errorCode(err);
  if (code === "EACCES" || code === "EPERM")
    return fail(
      name,
      `no permission to use ${where}`,
      "add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again) or run as root",
    );
  return fail(name, `no Docker engine answers at ${where}${code ? ` (${code})` : ""}`, START_FIX);
}

/**
 * The engine answers, can run the harness's Linux containers, and what it is; plus the harness
 * containers left by runs that are gone. Returns the engine's facts for the disk and tools checks.
 */
export async function checkEngine(
  engine: EngineClient,
  signal: AbortSignal,
  where = engineAddress(),
): Promise<{ checks: Check[]; info?: EngineInfo }> {
  let info: EngineInfo;
  try {
    await engine.ping(signal);
    info = await engine.info(signal);
  } catch (err) {
    return { checks: [unreachable(where, err, signal)] };
  }
  const what = `Docker ${info.serverVersion} at ${where} (${info.rootless ? "rootless" : "root"}, storage ${info.storageDriver})`;
  const checks: Check[] = [];
  if (info.osType !== "linux") {
    checks.push(fail("docker engine", `${what} runs ${info.osType} containers`, "switch the engine to Linux containers"));
  } else if (info.storageDriver === "vfs") {
    // vfs copies every layer in full: each env image costs its whole size again, and builds crawl.
    checks.push(
      warn("docker engine", `${what}: vfs copies every layer in full`, 'use overlay2 ("storage-driver": "overlay2" in daemon.json)'),
    );
  } else if (!info.memoryLimit) {
    checks.push(
      warn("docker engine", `${what}: cannot limit memory, so limits.memoryMiB is not enforced`, "enable the kernel's memory cgroup"),
    );
  } else {
    checks.push(ok("docker engine", what));
  }
  checks.push(await leftoverContainers(engine, signal));
  return { checks, info };
}

async function leftoverContainers(engine: EngineClient, signal: AbortSignal): Promise<Check> {
  const name = "harness containers";
  let owners: number[];
  try {
    owners = await engine.harnessContainerOwners(signal);
  } catch (err) {
    return warn(name, `cannot list them (${describeError(err)})`);
  }
  const live = owners.filter(isAlive).length;
  const left = owners.length - live;
  const running = live > 0 ? `; ${live} in use by a run in progress` : "";
  if (left === 0) return ok(name, `no leftovers${running}`);
  const fix = live > 0 ? "repro-matrix clean, once the run in progress ends (clean removes its containers too)" : "repro-matrix clean";
  return warn(name, `${left} left by runs that are gone${running}`, fix);
}
