import { join } from "node:path";
import { BuildFailures } from "../../envs/build-failures.js";
import type { RuntimeAdapter, RuntimeSession, SessionOptions } from "../session.js";
import { checkHostPython } from "./doctor.js";
import { LocalEnvBackend } from "./local-env-backend.js";
import { reapLocalOrphans } from "./local-pid-files.js";
import { LocalRuntime } from "./local-runtime.js";
import { localMachine } from "./machine-facts.js";

/** This folder: the whole adapter. */
const CODE_DIR = new URL("./", import.meta.url);

/** Servers as process groups on this machine, each env a virtualenv made with a host Python. */
export const localRuntime: RuntimeAdapter = {
  name: "local",
  summary: "process groups on this machine, one virtualenv per env from a host Python (pyenv or PATH)",
  codeDir: CODE_DIR,
  open: openLocal,
  doctor: async (ctx, signal) => ({
    checks: await Promise.all(
      ctx.pythons.map(([version, settings]) => checkHostPython(version, settings, ctx.only ? "fail" : "warn", signal)),
    ),
    available: true,
  }),
};

async function openLocal(o: SessionOptions): Promise<RuntimeSession> {
  const runtime = new LocalRuntime({ runId: o.runId, stateDir: o.cacheDir, machine: await localMachine() });
  return {
    runtime,
    codeDir: CODE_DIR,
    backend: new LocalEnvBackend(o.cacheDir, o.signal, new BuildFailures(join(o.cacheDir, "build-failures"), o.retryFailedBuilds)),
    reapOrphans: async () => void (await reapLocalOrphans(o.cacheDir)),
    // Each local server kills its process group when disposed; what is left is the run's folder.
    removeRun: () => runtime.removeRunDir(),
  };
}
