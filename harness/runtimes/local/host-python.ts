import { readdir, realpath } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { compare, valid } from "@renovatebot/pep440";
import { execa } from "execa";
import { PrerequisiteError } from "../../core/errors.js";
import { BaseFacts } from "../../envs/base-facts.js";
import { lastLine } from "../../envs/uv.js";

/** Asking an interpreter two questions takes well under a second; a wrapper that hangs is not one to use. */
const PROBE_TIMEOUT_MS = 10_000;

const WHERE = "import sys, platform; print(sys.executable); print(platform.python_version())";
const FACTS = "import platform; print(platform.python_version()); print(platform.libc_ver()[1]); print(platform.machine())";

/**
 * The host interpreter for a Python version ("3.9"): the matrix's explicit `hostPython` if
 * given, else `python3.9` on PATH, else the newest 3.9.x that pyenv has installed (pyenv's
 * shims answer only for the versions made global, so an installed 3.9 is often off PATH).
 * A shim for a version that is not active exits non-zero, which counts as not found. Returns
 * the real interpreter behind any shim or symlink, so the venvs made from it keep working
 * whatever happens to pyenv's shims.
 */
export async function findHostPython(version: string, hostPython?: string): Promise<string | undefined> {
  if (hostPython) return probe(hostPython, version);
  for (const command of [`python${version}`, ...(await pyenvInterpreters(version))]) {
    const found = await probe(command, version);
    if (found) return found;
  }
  return undefined;
}

/** pyenv's installs of a minor version, newest patch first: <root>/versions/3.9.18/bin/python3.9. */
async function pyenvInterpreters(version: string): Promise<string[]> {
  const root = process.env.PYENV_ROOT ?? join(homedir(), ".pyenv");
  const names = await readdir(join(root, "versions")).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(`${version}.`) && valid(n) !== null)
    .sort((a, b) => compare(b, a))
    .map((n) => join(root, "versions", n, "bin", `python${version}`));
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
