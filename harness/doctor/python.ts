import { existsSync } from "node:fs";
import { execa } from "execa";
import { type Check, fail, ok } from "../core/check.js";
import { lastLine, UV_VERSION, uvPlaces } from "../envs/uv.js";

const RUN_TIMEOUT_MS = 10_000;

const run = (file: string, args: string[], signal: AbortSignal) =>
  execa(file, args, { reject: false, timeout: RUN_TIMEOUT_MS, cancelSignal: signal, stdin: "ignore", all: true });

/**
 * Every route resolves locks with uv, which the harness installs into the cache from the host's
 * `python3 -m venv` (ensureUv) on the first run. Once installed, python3 is no longer needed.
 */
export async function checkUvPrerequisite(cacheDir: string, signal: AbortSignal): Promise<Check> {
  const name = "python3 (for uv)";
  const { venv: tools, uv } = uvPlaces(cacheDir);
  if (existsSync(uv)) return ok(name, `uv ${UV_VERSION} already installed in ${tools}`);
  // venv makes uv's virtualenv and ensurepip puts pip in it; Debian ships both only in python3-venv.
  const r = await run("python3", ["-c", "import platform, venv, ensurepip; print(platform.python_version())"], signal);
  if (r.code === "ENOENT") return fail(name, "no python3 on PATH: uv is installed from it", "apt-get install python3 python3-venv");
  if (r.exitCode !== 0)
    return fail(name, `python3 cannot make a virtualenv with pip (${lastLine(r.all) || r.shortMessage})`, "apt-get install python3-venv");
  return ok(name, `python3 ${r.stdout.trim()} with venv and pip: installs uv ${UV_VERSION} into ${tools} on the first run`);
}
