import { join } from "node:path";
import { BuildFailures } from "../../envs/build-failures.js";
import type { RuntimeAdapter, RuntimeSession, SessionOptions } from "../session.js";
import { connectDocker, pingWithin } from "./docker-engine.js";
import { DockerEnvBackend } from "./docker-env-backend.js";
import { cleanupSignal } from "./docker-output.js";
import { DockerRuntime } from "./docker-runtime.js";
import { dockerDoctor } from "./doctor.js";
import { engineReach, isLoopback } from "./engine-address.js";
import { dockerEngineClient, type EngineClient } from "./engine-checks.js";
import { engineGone, engineUnresponsive } from "./engine-errors.js";
import { engineSilenceLimitMs, watchEngine } from "./engine-watchdog.js";
import { ownerLabels } from "./labels.js";
import { engineMachine } from "./machine-facts.js";
import { reapOrphans, reapSocketDirs, removeAllManaged, removeCachedImages, removeRun } from "./reaper.js";

/** This folder: the whole adapter. */
const CODE_DIR = new URL("./", import.meta.url);

/**
 * Servers in containers of a Docker engine (or one that speaks its API, such as Podman's):
 * base and env images by content hash, one container per env or per cell, no network.
 */
export function dockerRuntime(o: { engineClient?: () => EngineClient; connectMs?: number } = {}): RuntimeAdapter {
  return {
    name: "docker",
    summary: "containers of the Docker engine at DOCKER_HOST (no network, memory-capped)",
    codeDir: CODE_DIR,
    open: (s) => openDocker(s, s.auto ? 2000 : (o.connectMs ?? 5000)),
    doctor: (ctx, signal) => dockerDoctor(ctx, o.engineClient ?? dockerEngineClient, signal),
    clean: async ({ images }) => {
      const docker = await connectDocker();
      const containers = await removeAllManaged(docker);
      return `removed ${containers} container(s)${images ? ` and ${await removeCachedImages(docker)} image(s)` : ""}`;
    },
  };
}

async function openDocker(o: SessionOptions, connectMs: number): Promise<RuntimeSession> {
  // Read before the engine is: a malformed value is the user's to fix, whatever the engine does.
  const silenceMs = engineSilenceLimitMs();
  const docker = await connectDocker(connectMs);
  const reach = engineReach(docker);
  const remote = reach.kind === "published-port" && !isLoopback(reach.probeHost);
  const runtime = new DockerRuntime(docker, ownerLabels(o.runId), reach, {
    reuseContainers: Boolean(o.reuseContainers),
    machine: await engineMachine(docker, remote, AbortSignal.any([o.signal, AbortSignal.timeout(10_000)])),
  });
  const failures = new BuildFailures(join(o.cacheDir, "build-failures"), o.retryFailedBuilds);
  return {
    runtime,
    codeDir: CODE_DIR,
    backend: new DockerEnvBackend(docker, runtime, o.cacheDir, o.signal, failures),
    reapOrphans: async () => {
      await reapOrphans(docker);
      await reapSocketDirs();
    },
    // Bounded: on a hung engine the run still ends, and the next one reaps by label. An
    // engine that does not answer a ping would not answer the removals either: skip them.
    removeRun: async () => {
      const answers = await pingWithin(docker, 2000).then(
        () => true,
        () => false,
      );
      if (answers) await removeRun(docker, o.runId, cleanupSignal());
    },
    watch: (onSilent) => watchEngine(docker, silenceMs, (silentForMs) => onSilent(engineUnresponsive(silentForMs))),
    explainFailure: engineGone,
  };
}
