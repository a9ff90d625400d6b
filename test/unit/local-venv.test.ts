import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BaseFacts } from "../../harness/envs/base-facts.js";
import type { Lock } from "../../harness/envs/lock.js";
import type { DownloadedFile } from "../../harness/envs/prepare-env.js";
import { ensureUv } from "../../harness/envs/uv.js";
import { findHostPython, readHostFacts } from "../../harness/runtimes/local/host-python.js";
import { LocalRuntime } from "../../harness/runtimes/local/local-runtime.js";
import { ensureLocalVenv } from "../../harness/runtimes/local/local-venv.js";
import { CACHE_DIR } from "../helpers/harness.js";

const TOOLS = [
  { name: "pip", version: "24.2" },
  { name: "setuptools", version: "75.1.0" },
  { name: "wheel", version: "0.44.0" },
];
/** Downloaded once per machine (kept with the tests' cache, not in a run's temporary folder): the build tools every lock pins. */
const TOOLS_DIR = join(CACHE_DIR, "test-build-tools");

/** A pure-Python wheel and an sdist whose setup.py raises, written by hand. */
const MAKE_DISTS = `
import base64, hashlib, io, os, sys, tarfile, zipfile
out = sys.argv[1]
files = {
    "tinypkg/__init__.py": b"VALUE = 42\\n",
    "tinypkg-0.1.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: tinypkg\\nVersion: 0.1\\n",
    "tinypkg-0.1.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: by-hand\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
def entry(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"
record = "\\n".join([entry(n, d) for n, d in files.items()] + ["tinypkg-0.1.dist-info/RECORD,,"]) + "\\n"
with zipfile.ZipFile(os.path.join(out, "tinypkg-0.1-py3-none-any.whl"), "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
    z.writestr("tinypkg-0.1.dist-info/RECORD", record)
sdist = {
    "broken-0.1/PKG-INFO": b"Metadata-Version: 2.1\\nName: broken\\nVersion: 0.1\\n",
    "broken-0.1/setup.py": b"raise RuntimeError('boom: this sdist cannot be built')\\n",
}
with tarfile.open(os.path.join(out, "broken-0.1.tar.gz"), "w:gz") as t:
    for name, data in sdist.items():
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
good = {
    "tinysdist-0.1/PKG-INFO": b"Metadata-Version: 2.1\\nName: tinysdist\\nVersion: 0.1\\n",
    "tinysdist-0.1/setup.py": b"from setuptools import setup\\nsetup(name='tinysdist', version='0.1', py_modules=['tinysdist'])\\n",
    "tinysdist-0.1/tinysdist.py": b"VALUE = 7\\n",
}
with tarfile.open(os.path.join(out, "tinysdist-0.1.tar.gz"), "w:gz") as t:
    for name, data in good.items():
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
`;

let work: string;
let python: string;
let facts: BaseFacts;
let tools: DownloadedFile[];
let dists: string;

const fileOf = async (path: string): Promise<DownloadedFile> => ({
  // The distribution's name, as a lock would give it: the file name up to the version.
  name: (basename(path).split("-")[0] as string).toLowerCase(),
  path,
  sha256: createHash("sha256")
    .update(await readFile(path))
    .digest("hex"),
});

const lockOf = (extra: { name: string; version: string }[]): Lock => ({
  strategy: "latest",
  resolvedOn: "2025-01-01",
  python: facts.python,
  platform: `${facts.arch}-manylinux_${facts.glibc.replace(".", "_")}`,
  onlyBinary: [],
  constraints: [],
  packages: [...TOOLS, ...extra],
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "local-venv-"));
  const found = await findHostPython("3.11");
  if (!found) throw new Error("these tests need python3.11 on PATH");
  python = found;
  facts = await readHostFacts(python, AbortSignal.timeout(10_000));
  const names = ["pip-24.2-py3-none-any.whl", "setuptools-75.1.0-py3-none-any.whl", "wheel-0.44.0-py3-none-any.whl"];
  if (!names.every((n) => existsSync(join(TOOLS_DIR, n)))) {
    const pins = TOOLS.map((t) => `${t.name}==${t.version}`);
    await execa(python, ["-m", "pip", "download", ...pins, "--no-deps", "--only-binary", ":all:", "-d", TOOLS_DIR]);
  }
  tools = await Promise.all(names.map((n) => fileOf(join(TOOLS_DIR, n))));
  dists = join(work, "dists");
  await mkdir(dists);
  await execa(python, ["-c", MAKE_DISTS, dists]);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("findHostPython", () => {
  it("finds the real interpreter of a version, and nothing for a missing or mismatched one", async () => {
    expect(python).not.toMatch(/shims/);
    expect(facts.python).toMatch(/^3\.11\.\d+$/);
    expect(facts.glibc).toMatch(/^\d+\.\d+$/);
    expect(await findHostPython("3.99")).toBeUndefined();
    // An explicit hostPython of another version is not the asked one.
    expect(await findHostPython("3.12", python)).toBeUndefined();
    expect(await findHostPython("3.11", "/no/such/python")).toBeUndefined();
  });
});

describe("ensureLocalVenv", () => {
  it("builds a venv offline from exactly the given files once, then reuses it", async () => {
    const cacheDir = join(work, "cache-ok");
    const o = {
      python,
      facts,
      lock: lockOf([{ name: "tinypkg", version: "0.1" }]),
      files: [...tools, await fileOf(join(dists, "tinypkg-0.1-py3-none-any.whl"))],
      cacheDir,
      signal: AbortSignal.timeout(60_000),
      builds: new Map(),
    };
    // Two cells asking at once share one build (the env backend's map of builds in flight).
    const [first, second] = await Promise.all([ensureLocalVenv(o), ensureLocalVenv(o)]);
    expect(second).toEqual(first);
    if (!first.ok) throw new Error(`${first.reason}\n${first.log}`);
    expect(first.built).toBe(true);
    expect(first.freeze).toEqual(expect.arrayContaining(["tinypkg==0.1", "pip==24.2", "setuptools==75.1.0", "wheel==0.44.0"]));
    expect(first.venv.startsWith(join(cacheDir, "venvs"))).toBe(true);
    // Its links into the files cache are gone; the venv works without them.
    expect(existsSync(join(first.venv, ".wheels"))).toBe(false);
    const r = await new LocalRuntime({ runId: "venv", stateDir: cacheDir }).exec(
      first.venv,
      ["python", "-c", "import tinypkg; print(tinypkg.VALUE)"],
      AbortSignal.timeout(10_000),
    );
    expect(r).toMatchObject({ exitCode: 0, stdout: "42" });

    const again = await ensureLocalVenv(o);
    expect(again).toEqual({ ...first, built: false });
  }, 90_000);

  it("compiles an sdist once into the wheelhouse for every venv of its Python, and installs by uv", async () => {
    const cacheDir = join(work, "cache-wheelhouse");
    const sdist = await fileOf(join(dists, "tinysdist-0.1.tar.gz"));
    const venv = async (extra: { name: string; version: string }[], files: DownloadedFile[]) =>
      ensureLocalVenv({
        python,
        facts,
        lock: lockOf(extra),
        files: [...tools, ...files],
        cacheDir,
        signal: AbortSignal.timeout(60_000),
        uv: await ensureUv(CACHE_DIR),
      });
    const first = await venv([{ name: "tinysdist", version: "0.1" }], [sdist]);
    const second = await venv(
      [
        { name: "tinypkg", version: "0.1" },
        { name: "tinysdist", version: "0.1" },
      ],
      [await fileOf(join(dists, "tinypkg-0.1-py3-none-any.whl")), sdist],
    );
    if (!first.ok || !second.ok) throw new Error(JSON.stringify([first, second]).slice(0, 2000));
    // The first venv compiled it; the second took the wheel: one wheel in the wheelhouse.
    expect([first.compiled, second.compiled]).toEqual([true, undefined]);
    expect(await readdir(join(cacheDir, "wheelhouse"))).toHaveLength(1);
    for (const v of [first, second]) expect(v.freeze).toContain("tinysdist==0.1");
    // Installed by uv, which keeps its own INSTALLER record; compiled to bytecode as pip would.
    const installer = await readFile(
      join(
        second.venv,
        "lib",
        `python${facts.python.split(".").slice(0, 2).join(".")}`,
        "site-packages",
        "tinysdist-0.1.dist-info",
        "INSTALLER",
      ),
      "utf8",
    );
    expect(installer.trim()).toBe("uv");
  }, 120_000);

  it("returns a failed build as data and leaves no half-built venv", async () => {
    const cacheDir = join(work, "cache-broken");
    const r = await ensureLocalVenv({
      python,
      facts,
      lock: lockOf([{ name: "broken", version: "0.1" }]),
      files: [...tools, await fileOf(join(dists, "broken-0.1.tar.gz"))],
      cacheDir,
      signal: AbortSignal.timeout(60_000),
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/^venv install failed: /);
    expect(r.log).toContain("boom: this sdist cannot be built");
    expect(r.log.split("\n").length).toBeLessThanOrEqual(80);
    expect(await readdir(join(cacheDir, "venvs"))).toEqual([]);
  }, 90_000);

  it("stops an aborted build and removes what it had made", async () => {
    const cacheDir = join(work, "cache-aborted");
    const abort = new AbortController();
    const building = ensureLocalVenv({
      python,
      facts,
      lock: lockOf([{ name: "tinypkg", version: "0.1" }]),
      files: [...tools, await fileOf(join(dists, "tinypkg-0.1-py3-none-any.whl"))],
      cacheDir,
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(new Error("run aborted")), 300);
    await expect(building).rejects.toThrow("run aborted");
    expect(await readdir(join(cacheDir, "venvs"))).toEqual([]);
  }, 30_000);
});
