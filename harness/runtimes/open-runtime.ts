import { join } from "node:path";
import { BuildFailures } from "../envs/build-failures.js";
import { DockerEnvBackend } from "../envs/docker-backend.js";
import { LocalEnvBackend } from "../envs/local-backend.js";
import type { EnvBackend } from "../envs/prepare-env.js";
import { PrerequisiteError } from "../errors.js";
import { connectDocker, pingWithin } from "./docker-engine.js";
import { cleanupSignal } from "./docker-output.js";
import { DockerRuntime } from "./docker-runtime.js";
import { engineReach, isLoopback } from "./engine-address.js";
import { engineSilenceLimitMs, watchEngine } from "./engine-watchdog.js";
import { ownerLabels } from "./labels.js";
import { reapLocalOrphans } from "./local-pid-files.js";
import { LocalRuntime } from "./local-runtime.js";
import { engineMachine, localMachine } from "./machine-facts.js";
import { reapOrphans, reapSocketDirs, removeRun } from "./reaper.js";

export const RUNTIME_CHOICES = ["auto", "docker", "local"] as const;
export type RuntimeChoice = (typeof RUNTIME_CHOICES)[number];

/** A runtime with its env backend and its cleanup: what a run needs, whichever runtime it is. */
export interface RuntimeSession {
  backend: EnvBackend;
  /** Why auto chose what it chose, for the run's summary. */
  note?: string;
  /** Remove what crashed runs left behind. */
  reapOrphans(): Promise<void>;
  /** Remove everything this run started; called on every way out. */
  removeRun(): Promise<void>;
  /** Docker: call `onSilent` if the engine stops answering while the run uses it; returns the stop. */
  watchEngine?(onSilent: (silentForMs: number) => void): () => void;
}

/**
 * docker: an engine must answer (else a one-line error, exit 2). local: never touches Docker.
 * auto: Docker when an engine answers, else local, and the run says so.
 */
export async function openRuntime(choice: RuntimeChoice, o: SessionOptions): Promise<RuntimeSession> {
  if (choice !== "local") {
    // Read before the engine is: a malformed value is the user's to fix, whatever the engine does.
    const silenceMs = engineSilenceLimitMs();
    try {
      const docker = await connectDocker(choice === "auto" ? 2000 : 5000);
      const reach = engineReach(docker);
      const remote = reach.kind === "published-port" && !isLoopback(reach.probeHost);
      const runtime = new DockerRuntime(docker, ownerLabels(o.runId), reach, {
        reuseContainers: Boolean(o.reuseContainers),
        machine: await engineMachine(docker, remote, AbortSignal.any([o.signal, AbortSignal.timeout(10_000)])),
      });
      return {
        backend: new DockerEnvBackend(docker, runtime, o.cacheDir, o.signal, buildFailures(o)),
        reapOrphans: async () => {
          await reapOrphans(docker);
          await reapSocketDirs();
        },
        // Bounded: on a hung engine the run still ends, and the next one reaps by label. An
        // engine that does not answer a ping would not answer the removals either: skip them.
        removeRun: async () => {
          if (
            await pingWithin(docker, 2000).then(
              () => true,
              () => false,
            )
          )
            await removeRun(docker, o.runId, cleanupSignal());
        },
        watchEngine: (onSilent) => watchEngine(docker, silenceMs, onSilent),
      };
    } catch (err) {
      if (choice === "docker" || !(err instanceof PrerequisiteError)) throw err;
      return { ...(await localSession(o)), note: `${err.message.split(": ")[0]}: running on the local runtime` };
    }
  }
  return localSession(o);
}

interface SessionOptions {
  runId: string;
  cacheDir: string;
  signal: AbortSignal;
  /** Build again what failed before (--rebuild) instead of reporting the recorded failure. */
  retryFailedBuilds?: boolean;
  /** Docker: run an env's cells one after another in a container kept for the env (env-hosts.ts), not one container each. */
  reuseContainers?: boolean;
}

const buildFailures = (o: SessionOptions) => new BuildFailures(join(o.cacheDir, "build-failures"), o.retryFailedBuilds);

async function localSession(o: SessionOptions): Promise<RuntimeSession> {
  const runtime = new LocalRuntime({ runId: o.runId, stateDir: o.cacheDir, machine: await localMachine() });
  return {
    backend: new LocalEnvBackend(runtime, o.cacheDir, o.signal, buildFailures(o)),
    reapOrphans: async () => void (await reapLocalOrphans(o.cacheDir)),
    // Each local server kills its process group when disposed; what is left is the run's folder.
    removeRun: () => runtime.removeRunDir(),
  };
}
