import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { type Check, fail, ok, warn } from "../../core/check.js";
import { isHostBase } from "../../envs/host-interpreters.js";
import { lastLine } from "../../envs/uv.js";
import { findHostPython } from "./host-python.js";

const RUN_TIMEOUT_MS = 10_000;
const VERSION_AND_VENV = "import platform, venv; print(platform.python_version())";

const run = (file: string, args: string[], signal: AbortSignal) =>
  execa(file, args, { reject: false, timeout: RUN_TIMEOUT_MS, cancelSignal: signal, stdin: "ignore", all: true });

/**
 * The local runtime makes each env's virtualenv with a host interpreter of the asked version
 * (found as the harness finds it: hostPython, python3.X on PATH, pyenv's installs). It needs
 * the venv module; pip comes from the lock's own wheel, so a host pip is reported, not required.
 * `missing` is how much a missing interpreter matters: fail when the local runtime will run.
 */
export async function checkHostPython(
  version: string,
  settings: { base: string; hostPython?: string },
  missing: "fail" | "warn",
  signal: AbortSignal,
): Promise<Check> {
  const name = `python ${version} (local runtime)`;
  const verdict = missing === "fail" ? fail : warn;
  const { hostPython, base } = settings;
  const python = await findHostPython(version, hostPython, base);
  signal.throwIfAborted();
  if (!python) {
    if (hostPython)
      return verdict(
        name,
        `hostPython ${hostPython} is not a Python ${version}`,
        `set python."${version}".hostPython to a Python ${version}`,
      );
    if (isHostBase(base)) return verdict(name, `base ${base} names no runnable Python ${version} on this machine`, installFix(version));
    return verdict(name, `no Python ${version} on PATH (python${version}) or in pyenv`, installFix(version));
  }
  const [probe, pip] = await Promise.all([run(python, ["-c", VERSION_AND_VENV], signal), run(python, ["-m", "pip", "--version"], signal)]);
  const pipNote =
    pip.exitCode === 0 ? pip.stdout.split(" ").slice(0, 2).join(" ") : "no pip (not needed: each venv gets pip from its lock)";
  if (probe.exitCode !== 0)
    return verdict(
      name,
      `${python} has no venv module (${lastLine(probe.all) || probe.shortMessage})`,
      `apt-get install python${version}-venv`,
    );
  return ok(name, `${probe.stdout.trim()} at ${python}, venv, ${pipNote}`);
}

function installFix(version: string): string {
  const pyenv = existsSync(process.env.PYENV_ROOT ?? join(homedir(), ".pyenv"));
  const install = pyenv
    ? `pyenv install ${version}`
    : `apt-get install python${version} python${version}-venv (or pyenv install ${version})`;
  return `${install}; or set python."${version}".hostPython in the config`;
}
