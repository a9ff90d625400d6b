import type { EnvSpec } from "../../cell/cell.js";
import type { BuildFailures } from "../../envs/build-failures.js";
import { isHostBase } from "../../envs/host-interpreters.js";
import type { Lock } from "../../envs/lock.js";
import type { DownloadedFile, EnvBackend, Installed, Interpreter } from "../../envs/prepare-env.js";
import { ensureUv } from "../../envs/uv.js";
import { findHostPython, readHostFacts } from "./host-python.js";
import { ensureLocalVenv, type LocalVenv } from "./local-venv.js";

/** Envs as virtualenvs on the host, made with a host Python of the asked version. */
export class LocalEnvBackend implements EnvBackend {
  private readonly pythons = new Map<string, Promise<Interpreter>>();
  /** Venvs being built, shared by envs of the same lock. */
  private readonly builds = new Map<string, Promise<LocalVenv>>();

  constructor(
    private readonly cacheDir: string,
    private readonly signal: AbortSignal,
    private readonly failures?: BuildFailures,
  ) {}

  interpreter(spec: EnvSpec): Promise<Interpreter> {
    const bases = [spec.base, ...(spec.fallbackBases ?? [])];
    const key = `${spec.python}|${spec.hostPython ?? ""}|${bases.join(" else ")}`;
    let p = this.pythons.get(key);
    if (!p) {
      p = (async (): Promise<Interpreter> => {
        // The first base whose interpreter this machine has (a registry base means python<v> here).
        let python: string | undefined;
        for (const base of bases) if (!python) python = await findHostPython(spec.python, spec.hostPython, base);
        if (!python) {
          const asked = spec.hostPython
            ? `${spec.hostPython} (python.${spec.python}.hostPython)`
            : isHostBase(spec.base)
              ? `the interpreter of base ${spec.base}`
              : `python${spec.python}`;
          // Data, not a crash: the cells of this Python become install-failed with this reason.
          return { ok: false, reason: `no host Python ${spec.python} for the local runtime: ${asked} not found or not runnable` };
        }
        return { ok: true, ref: python, facts: await readHostFacts(python, this.signal) };
      })();
      this.pythons.set(key, p);
    }
    return p;
  }

  async install(interp: Extract<Interpreter, { ok: true }>, lock: Lock, files: DownloadedFile[]): Promise<Installed> {
    const venv = await ensureLocalVenv({
      python: interp.ref,
      facts: interp.facts,
      lock,
      files,
      cacheDir: this.cacheDir,
      signal: this.signal,
      builds: this.builds,
      uv: await ensureUv(this.cacheDir, this.signal),
      ...(this.failures ? { failures: this.failures } : {}),
    });
    if (!venv.ok) return venv;
    return { ok: true, location: venv.venv, built: venv.built, freeze: venv.freeze, ...(venv.compiled ? { compiled: true } : {}) };
  }
}
