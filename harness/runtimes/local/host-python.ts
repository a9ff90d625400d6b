import { realpath } from "node:fs/promises";
import { execa } from "execa";
import { PrerequisiteError } from "../../core/errors.js";
import { BaseFacts } from "../../envs/base-facts.js";
import { hostInterpreterFor, isHostBase, pyenvInstalls } from "../../envs/host-interpreters.js";
import { lastLine } from "../../envs/uv.js";

/** Asking an interpreter two questions takes well under a second; a wrapper that hangs is not one to use. */
const PROBE_TIMEOUT_MS = 10_000;

const WHERE = "import sys, platform; print(sys.executable); print(platform.python_version())";
/** glibc as the running system has it (confstr), not the newest symbol the binary links (platform.libc_ver on 3.7). */
const FACTS =
  "import os, platform; print(platform.python_version()); print(os.confstr('CS_GNU_LIBC_VERSION').split()[-1]); print(platform.machine())";

/**
 * The host interpreter for a Python version ("3.9"): the matrix's explicit `hostPython` if
 * given; for a `pyenv` or `host:<prefix>` base, the interpreter the docker runtime would copy
 * into its image (so both runtimes run the same build); else `python3.9` on PATH, else the
 * newest 3.9.x that pyenv has installed (pyenv's shims answer only for the versions made global,
 * so an installed 3.9 is often off PATH). A shim for a version that is not active exits
 * non-zero, which counts as not found. Returns the real interpreter behind any shim or symlink,
 * so the venvs made from it keep working whatever happens to pyenv's shims.
 */
export async function findHostPython(version: string, hostPython?: string, base?: string): Promise<string | undefined> {
  if (hostPython) return probe(hostPython, version);
  if (base && isHostBase(base)) {
    const found = await hostInterpreterFor(base, version);
    return found.ok ? probe(found.interpreter.executable, version) : undefined;
  }
  const pyenv = (await pyenvInstalls()).filter((i) => i.version?.startsWith(`${version}.`)).map((i) => i.executable);
  for (const command of [`python${version}`, ...pyenv]) {
    const found = await probe(command, version);
    if (found) return found;
  }
  return undefined;
}

async function probe(command: string, version: string): Promise<string | undefined> {
  const r = await execa(command, ["-c", WHERE], { reject: false, timeout: PROBE_TIMEOUT_MS, stdin: "ignore" });
  if (r.exitCode !== 0) return undefined;
  const [executable, full] = r.stdout.trim().split("\n");
  // An explicit hostPython that turns out to be another version is not the asked one.
  if (!executable || full?.split(".").slice(0, 2).join(".") !== version) return undefined;
  return realpath(executable.trim()).catch(() => undefined);
}

/** What the host Python really is: locks and wheel choices follow these, as for an image. */
export async function readHostFacts(python: string, signal: AbortSignal): Promise<BaseFacts> {
  const r = await execa(python, ["-c", FACTS], { reject: false, timeout: PROBE_TIMEOUT_MS, cancelSignal: signal, stdin: "ignore" });
  signal.throwIfAborted();
  if (r.exitCode !== 0) throw new PrerequisiteError(`host Python ${python} did not run (${lastLine(r.stderr) || r.shortMessage})`);
  const [pythonVersion, glibc, arch] = r.stdout.trim().split("\n");
  const facts = BaseFacts.safeParse({ python: pythonVersion, glibc, arch });
  // musl or an unknown machine: the lock's platform tag cannot be named, so the env cannot be made.
  if (!facts.success)
    throw new PrerequisiteError(`host Python ${python}: unsupported host (python ${pythonVersion}, glibc "${glibc}", ${arch})`);
  return facts.data;
}
