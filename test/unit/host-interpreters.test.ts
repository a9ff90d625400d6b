import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { parseScenario } from "../../harness/config/load.js";
import { checkBase, type Exec } from "../../harness/envs/base-facts.js";
import { hostDebianSuite, hostInterpreterFor, isHostBase, pyenvInstalls } from "../../harness/envs/host-interpreters.js";
import { findHostPython } from "../../harness/runtimes/local/host-python.js";
import { MINIMAL } from "../helpers/scenarios.js";

/** This machine kind's pyenv build of 3.7 (the example interpreter). */
const PY37 = (await pyenvInstalls()).find((i) => i.version?.startsWith("3.7."));

/** A pyenv root with installs that are CPython versions and some that are not. */
async function fakePyenv(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "pyenv-"));
  for (const [name, minor] of [
    ["3.7.9", "3.7"],
    ["3.7.16", "3.7"],
    ["3.11.7", "3.11"],
    ["pypy3.9-7.3.16", "3.9"],
    ["miniconda3-latest", "3.12"],
  ] as const) {
    await mkdir(join(root, "versions", name, "bin"), { recursive: true });
    const exe = join(root, "versions", name, "bin", `python${minor}`);
    await writeFile(exe, "#!/bin/sh\nexit 0\n");
    await chmod(exe, 0o755);
  }
  return root;
}

describe("host interpreters", () => {
  let root: string;
  beforeAll(async () => {
    root = await fakePyenv();
  });

  it("lists pyenv's CPython installs newest first, and nothing else pyenv holds", async () => {
    expect((await pyenvInstalls(root)).map((i) => i.version)).toEqual(["3.11.7", "3.7.16", "3.7.9"]);
  });

  it("resolves `pyenv` to the newest install of the asked version, and says why when there is none", async () => {
    const found = await hostInterpreterFor("pyenv", "3.7", root);
    expect(found).toMatchObject({ ok: true, interpreter: { version: "3.7.16", executable: join(root, "versions/3.7.16/bin/python3.7") } });
    const missing = await hostInterpreterFor("pyenv", "3.6", root);
    expect(missing).toMatchObject({ ok: false });
    expect(!missing.ok && missing.reason).toMatch(/^no Python 3\.6 in pyenv .*pyenv install 3\.6/);
  });

  it("resolves host:<prefix> to the prefix's python3.X, only if it is there", async () => {
    const prefix = join(root, "versions", "3.11.7");
    expect(await hostInterpreterFor(`host:${prefix}`, "3.11", root)).toMatchObject({ ok: true, interpreter: { prefix } });
    const wrong = await hostInterpreterFor(`host:${prefix}`, "3.7", root);
    expect(!wrong.ok && wrong.reason).toMatch(/no .*python3\.7 \(is it a Python 3\.7 prefix\?\)/);
  });

  it("tells host bases from registry images", () => {
    expect(isHostBase("pyenv")).toBe(true);
    expect(isHostBase("host:/opt/python/3.7")).toBe(true);
    expect(isHostBase("python:3.7-slim")).toBe(false);
    expect(isHostBase("debian:bookworm")).toBe(false);
  });

  it("names this machine's Debian suite, and none for another distribution", async () => {
    const dir = await mkdtemp(join(tmpdir(), "os-release-"));
    await writeFile(join(dir, "debian"), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n');
    await writeFile(join(dir, "ubuntu"), "ID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\n");
    expect(await hostDebianSuite(join(dir, "debian"))).toBe("bookworm");
    expect(await hostDebianSuite(join(dir, "ubuntu"))).toBeUndefined();
    expect(await hostDebianSuite(join(dir, "missing"))).toBeUndefined();
  });

  it("accepts pyenv and host:<absolute prefix> as a base, and refuses a relative prefix", () => {
    const withBase = (base: string) => MINIMAL.replace('{ base: "debian:bullseye" }', `{ base: "${base}" }`);
    expect(parseScenario(withBase("pyenv")).python["3.9"]?.base).toBe("pyenv");
    expect(parseScenario(withBase("host:/root/.pyenv/versions/3.9.18")).python["3.9"]?.base).toBe("host:/root/.pyenv/versions/3.9.18");
    expect(() => parseScenario(withBase("host:versions/3.9.18"), "m.yaml")).toThrow(/python\.3\.9\.base.*host:<absolute prefix>/);
  });
});

describe("the base check, on this machine's pyenv Python 3.7", () => {
  // Runs the check where a runtime would, here as a host process; `env` breaks it on purpose.
  const hostExec =
    (env: Record<string, string> = {}): Exec =>
    async (_image, [file, ...args], signal) => {
      const r = await execa(file as string, args, { reject: false, cancelSignal: signal, env, stdin: "ignore" });
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
    };

  it("passes ssl, sqlite3, ctypes and a venv with pip, and reads the interpreter's facts", { timeout: 60_000 }, async () => {
    expect(PY37, "this machine kind has pyenv's Python 3.7").toBeDefined();
    const checked = await checkBase(hostExec(), "", PY37?.executable as string, new AbortController().signal);
    // The system's glibc, not the newest symbol version Python 3.7's own binary links (2.34 here).
    const glibc = (await execa("getconf", ["GNU_LIBC_VERSION"])).stdout.split(" ")[1];
    expect(checked).toEqual({ ok: true, facts: { python: PY37?.version, glibc, arch: "x86_64" } });
  });

  it("fails, naming the module, when an interpreter cannot load sqlite3", async () => {
    const shadow = await mkdtemp(join(tmpdir(), "no-sqlite-"));
    await mkdir(join(shadow, "sqlite3"));
    await writeFile(join(shadow, "sqlite3", "__init__.py"), "raise ImportError('libsqlite3.so.0: cannot open shared object file')\n");
    // venv shadowed too, so the test need not wait for ensurepip (the test above does).
    await writeFile(join(shadow, "venv.py"), "raise ImportError('no venv here')\n");
    const checked = await checkBase(hostExec({ PYTHONPATH: shadow }), "", PY37?.executable as string, new AbortController().signal);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.reason).toBe(
      `Python ${PY37?.version} fails the base check: sqlite3: ImportError: libsqlite3.so.0: cannot open shared object file; venv with pip: ImportError: no venv here`,
    );
  });

  it("lets the local runtime find the interpreter a pyenv base names", async () => {
    expect(await findHostPython("3.7", undefined, "pyenv")).toBe(PY37?.executable);
    expect(await findHostPython("3.7", undefined, "host:/nonexistent/prefix")).toBeUndefined();
  });
});
