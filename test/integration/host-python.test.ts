import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { pyenvInstalls } from "../../harness/envs/host-interpreters.js";
import { BaseUnavailable } from "../../harness/runtimes/docker/base-image.js";
import { baseImageProvider } from "../../harness/runtimes/docker/base-image-provider.js";
import { connectDocker } from "../../harness/runtimes/docker/docker-engine.js";
import { CACHE_DIR, runScenario, tempDir } from "../helpers/harness.js";

/** This machine kind's pyenv build of Python 3.7: the interpreter the issue installs uvicorn 0.9.0 with. */
const PY37 = (await pyenvInstalls()).find((i) => i.version?.startsWith("3.7."));
const signal = new AbortController().signal;

// uvicorn 0.9.0 (2019) pins httptools 0.0.13, which has wheels for Python 3.7 and compiles on no
// Python from 3.9 on: the kind of cell only an interpreter of its day can run.
const SCENARIO = `scenario: it-host-python
packages:
  uvicorn: [0.9.0]
  gunicorn: 23.0.0
python:
  "3.7": { base: pyenv }
constraints: ["pip<24.1"]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [plain]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
`;

describe("a base image from a host interpreter (pyenv's Python 3.7)", () => {
  let built: { ref: string; built: boolean };

  beforeAll(async () => {
    expect(PY37, "this machine kind has pyenv's Python 3.7 under ~/.pyenv/versions").toBeDefined();
    built = await baseImageProvider("pyenv", CACHE_DIR, "3.7").ensure(await connectDocker(), signal);
  });

  it("copies the prefix into the Debian suite's image, first on PATH, usable by the cells' user", async () => {
    const docker = await connectDocker();
    const image = await docker.getImage(built.ref).inspect();
    expect(built.ref).toMatch(/^repro-matrix-base:host-3\.7-[0-9a-f]{12}$/);
    expect(image.Config.Env).toContain(`PATH=${PY37?.prefix}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`);
    // Labelled as the harness's image, not as a harness container: the build steps over it inherit it.
    expect(image.Config.Labels?.["repro-matrix.image"]).toBe("true");
    expect(image.Config.Labels?.["repro-matrix.managed"]).toBeUndefined();
    const container = await docker.createContainer({
      Image: built.ref,
      User: "65534",
      Cmd: ["python3", "-c", "import sys, ssl, sqlite3, ctypes; print(sys.version.split()[0], sys.prefix)"],
      HostConfig: { NetworkMode: "none", AutoRemove: false },
    });
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      await container.start();
      expect(await container.wait()).toMatchObject({ StatusCode: 0 });
      expect(Buffer.concat(chunks).toString()).toContain(`${PY37?.version} ${PY37?.prefix}`);
    } finally {
      await container.remove({ force: true });
    }
  });

  it("is tagged by what it holds: asked again, the same image, not built again", async () => {
    expect(await baseImageProvider("pyenv", CACHE_DIR, "3.7").ensure(await connectDocker(), signal)).toEqual({
      ref: built.ref,
      built: false,
    });
  });

  it("never becomes a base when the prefix's Python cannot run the base check", async () => {
    const prefix = join(await tempDir("broken-prefix"), "3.7.0");
    await mkdir(join(prefix, "bin"), { recursive: true });
    for (const name of ["python3", "python3.7"]) {
      await writeFile(
        join(prefix, "bin", name),
        "#!/bin/sh\necho 'error while loading shared libraries: libpython3.7m.so.1.0' >&2\nexit 127\n",
      );
      await chmod(join(prefix, "bin", name), 0o755);
    }
    const failed = baseImageProvider(`host:${prefix}`, CACHE_DIR, "3.7").ensure(await connectDocker(), signal);
    await expect(failed).rejects.toBeInstanceOf(BaseUnavailable);
    await expect(failed).rejects.toThrow(/^Python from .*3\.7\.0: the image did not build: .*non-zero code: 127/);
  });

  it("is no base for a Python pyenv does not have: its cells are install-failed, saying so", async () => {
    // 3.14: allowed by uvicorn 0.9.0 and gunicorn 23.0.0 (so not "not applicable"), absent from this pyenv.
    const out = await tempDir("host-python-missing");
    const { records } = await runScenario(SCENARIO.replaceAll('"3.7"', '"3.14"'), out, { runtime: "docker" });
    expect(records).toHaveLength(1);
    expect(records[0]?.outcome).toBe("install-failed");
    expect(records[0]?.reason).toMatch(/^no Python 3\.14 base \(pyenv\): no Python 3\.14 in pyenv/);
  });
});

describe("fallback bases", () => {
  it("takes the first base this machine has: a missing host prefix passes to pyenv, in docker and locally", {
    timeout: 600_000,
  }, async () => {
    const out = await tempDir("host-python-fallback");
    const scenario = SCENARIO.replace('"3.7": { base: pyenv }', '"3.7": { base: "host:/nonexistent/py37", fallback: [pyenv] }');
    for (const runtime of ["docker", "local"] as const) {
      const { records } = await runScenario(scenario, out, { runtime });
      expect(records).toHaveLength(1);
      expect(records[0]?.outcome, records[0]?.reason).toBe("clean");
      expect(records[0]?.pythonFull).toBe(PY37?.version);
    }
  });

  it("names every base it tried when none is here: the cells are install-failed, saying why", { timeout: 600_000 }, async () => {
    const out = await tempDir("host-python-no-fallback");
    const scenario = SCENARIO.replaceAll('"3.7": { base: pyenv }', '"3.14": { base: pyenv, fallback: ["host:/nonexistent/py314"] }');
    const { records } = await runScenario(scenario, out, { runtime: "docker" });
    expect(records[0]?.outcome).toBe("install-failed");
    expect(records[0]?.reason).toMatch(/^no Python 3\.14 base: pyenv: no Python 3\.14 in pyenv.*; else host:\/nonexistent\/py314: /);
  });
});

describe("a Python 3.7 cell on both runtimes", () => {
  it("boots uvicorn 0.9.0 with httptools 0.0.13 from its 3.7 wheel and serves, in docker and locally", { timeout: 600_000 }, async () => {
    const out = await tempDir("host-python");
    const docker = await runScenario(SCENARIO, out, { runtime: "docker" });
    const local = await runScenario(SCENARIO, out, { runtime: "local" });
    for (const { records } of [docker, local]) {
      expect(records).toHaveLength(1);
      const [cell] = records;
      expect(cell?.outcome, cell?.reason).toBe("clean");
      expect(cell?.pythonFull).toBe(PY37?.version);
      expect(cell?.evidence.packages).toContain("httptools==0.0.13");
    }
    expect(docker.records[0]?.runtime).toBe("docker");
    expect(local.records[0]?.runtime).toBe("local");
  });
});
