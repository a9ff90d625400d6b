import { z } from "zod";

/** What the base image really holds; locks and wheel choices follow these, not the asked version. */
export const BaseFacts = z.strictObject({
  python: z.string().regex(/^\d+\.\d+\.\d+/),
  glibc: z.string().regex(/^\d+\.\d+$/),
  arch: z.enum(["x86_64", "aarch64"]),
});
export type BaseFacts = z.infer<typeof BaseFacts>;

/**
 * The facts, and what every env needs of an interpreter, tried for real: TLS (pip's hashes and
 * many apps import ssl), sqlite3 and ctypes (libsqlite3 and libffi: a prefix copied to a machine
 * without them imports neither), and a venv with a working pip (ensurepip). The same for every
 * base, whether debootstrapped, pulled or copied from this machine: an interpreter that fails one
 * makes each of its envs fail later in a way that says much less. Python 3.5 syntax; prints JSON.
 * glibc is the running one (confstr): Python 3.7's platform.libc_ver() reads the newest symbol
 * version its own binary links, 2.34 on a glibc 2.36 system, which would refuse its wheels.
 */
export const BASE_CHECK_SCRIPT = `
import json, os, platform, shutil, subprocess, sys, tempfile
try:
    glibc = os.confstr("CS_GNU_LIBC_VERSION").split()[-1]
except (AttributeError, ValueError, OSError, IndexError):
    glibc = platform.libc_ver()[1]
out = {"python": platform.python_version(), "glibc": glibc, "arch": platform.machine(), "failed": []}
def tls():
    import ssl
    ssl.create_default_context()
def sqlite():
    import sqlite3
    sqlite3.connect(":memory:").execute("select 1")
def ffi():
    import ctypes
    ctypes.CDLL(None)
def venv_pip():
    import venv
    d = tempfile.mkdtemp()
    try:
        venv.create(d, with_pip=True)
        r = subprocess.run([os.path.join(d, "bin", "python"), "-m", "pip", "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError((r.stderr or r.stdout).decode("utf-8", "replace").strip().splitlines()[-1:])
    finally:
        shutil.rmtree(d, ignore_errors=True)
for name, check in [("ssl", tls), ("sqlite3", sqlite), ("ctypes", ffi), ("venv with pip", venv_pip)]:
    try:
        check()
    except BaseException as e:
        out["failed"].append("%s: %s: %s" % (name, type(e).__name__, str(e).strip()[:200]))
print(json.dumps(out))
if "--strict" in sys.argv and out["failed"]:
    sys.stderr.write("base check failed: %s\\n" % "; ".join(out["failed"]))
    sys.exit(1)
`;

const CheckOutput = z.strictObject({ python: z.string(), glibc: z.string(), arch: z.string(), failed: z.array(z.string()) });

export type BaseCheck = { ok: true; facts: BaseFacts } | { ok: false; reason: string };

/** Runs a command where the env's Python lives (a runtime's `exec`), to completion. */
export type Exec = (image: string, command: string[], signal: AbortSignal) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/**
 * The interpreter's facts and sanity, as data: a Python that cannot make a venv with pip (or load
 * ssl, sqlite3, ctypes) is a reason its cells cannot be installed, named once here.
 */
export async function checkBase(exec: Exec, image: string, python: string, signal: AbortSignal): Promise<BaseCheck> {
  const r = await exec(image, [python, "-c", BASE_CHECK_SCRIPT], signal);
  signal.throwIfAborted();
  const lastLine = (s: string) => s.trim().split("\n").at(-1) ?? "";
  let parsed: z.infer<typeof CheckOutput> | undefined;
  try {
    parsed = CheckOutput.parse(JSON.parse(lastLine(r.stdout)));
  } catch {
    parsed = undefined;
  }
  if (r.exitCode !== 0 || !parsed) return { ok: false, reason: `${python} did not run (${lastLine(r.stderr) || `exit ${r.exitCode}`})` };
  if (parsed.failed.length > 0) return { ok: false, reason: `Python ${parsed.python} fails the base check: ${parsed.failed.join("; ")}` };
  const facts = BaseFacts.safeParse({ python: parsed.python, glibc: parsed.glibc, arch: parsed.arch });
  // musl or an unknown machine: the lock's platform tag cannot be named, so no env can be made.
  if (!facts.success)
    return { ok: false, reason: `unsupported interpreter (python ${parsed.python}, glibc "${parsed.glibc}", ${parsed.arch})` };
  return { ok: true, facts: facts.data };
}
