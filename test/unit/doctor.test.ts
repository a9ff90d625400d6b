import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseScenario } from "../../harness/config/load.js";
import { type Check, fail, ok, warn, withDeadline } from "../../harness/core/check.js";
import { runChecks } from "../../harness/doctor/checks.js";
import { checkConfig } from "../../harness/doctor/config.js";
import { cachePlace, checkDisk, diskCheck, GiB } from "../../harness/doctor/disk.js";
import { checkInterpreters } from "../../harness/doctor/interpreters.js";
import { checkIndex } from "../../harness/doctor/network.js";
import { checkNode } from "../../harness/doctor/node.js";
import { doctorExitCode, formatChecks } from "../../harness/doctor/report.js";
import { dockerRuntime } from "../../harness/runtimes/docker/adapter.js";
import { DebianBaseImage } from "../../harness/runtimes/docker/debian-base-image.js";
import { checkDebootstrap, checkMirror, debianBaseTag, debianSuites } from "../../harness/runtimes/docker/doctor-tools.js";
import { checkEngine, type EngineClient, type EngineInfo } from "../../harness/runtimes/docker/engine-checks.js";
import { localRuntime } from "../../harness/runtimes/local/adapter.js";
import { MINIMAL } from "../helpers/scenarios.js";

const INFO: EngineInfo = {
  serverVersion: "27.1.0",
  storageDriver: "overlay2",
  rootDir: "/var/lib/docker",
  osType: "linux",
  rootless: false,
  memoryLimit: true,
};

/** A fake engine: answers with `info` unless told to fail or to never answer. */
function fakeEngine(
  o: {
    error?: NodeJS.ErrnoException;
    hang?: "honours-abort" | "ignores-abort";
    owners?: number[];
    images?: string[];
    info?: Partial<EngineInfo>;
  } = {},
): EngineClient {
  const answer = <T>(value: T, signal: AbortSignal): Promise<T> => {
    if (o.error) return Promise.reject(o.error);
    if (o.hang === "ignores-abort") return new Promise<T>(() => {});
    if (o.hang === "honours-abort") return new Promise<T>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    return Promise.resolve(value);
  };
  return {
    ping: (s) => answer(undefined, s),
    info: (s) => answer({ ...INFO, ...o.info }, s),
    harnessContainerOwners: (s) => answer(o.owners ?? [], s),
    hasImage: (ref, s) => answer((o.images ?? []).includes(ref), s),
  };
}

const errno = (code: string) => Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code });

/** A fetch that answers every URL with `status` (JSON), or rejects as Node's fetch does. */
const fakeFetch =
  (status: number | NodeJS.ErrnoException, seen: string[] = []): typeof globalThis.fetch =>
  async (input) => {
    seen.push(String(input));
    if (typeof status !== "number") throw new TypeError("fetch failed", { cause: status });
    return new Response(status === 200 ? "{}" : null, { status, headers: { "content-type": "application/vnd.pypi.simple.v1+json" } });
  };

describe("doctor report", () => {
  it("prints one line per check and the fix under each problem", () => {
    const checks: Check[] = [
      ok("node", "Node.js 22.5.0"),
      warn("disk", "6.0 GiB free for .cache", "repro-matrix clean --images"),
      fail("docker engine", "no Docker engine answers at /var/run/docker.sock", "start one"),
    ];
    expect(formatChecks(checks)).toBe(
      [
        "ok    node: Node.js 22.5.0",
        "warn  disk: 6.0 GiB free for .cache",
        "      fix: repro-matrix clean --images",
        "FAIL  docker engine: no Docker engine answers at /var/run/docker.sock",
        "      fix: start one",
        "",
      ].join("\n"),
    );
  });

  it("exits 1 when any check fails; warnings alone exit 0", () => {
    expect(doctorExitCode([ok("a", "x")])).toBe(0);
    expect(doctorExitCode([ok("a", "x"), warn("b", "y", "z")])).toBe(0);
    expect(doctorExitCode([ok("a", "x"), warn("b", "y"), fail("c", "z")])).toBe(1);
  });
});

describe("engine check", () => {
  it("an engine that answers: version, root or rootless, storage driver", async () => {
    const { checks, info } = await checkEngine(fakeEngine({ info: { rootless: true } }), AbortSignal.timeout(1000), "/run/docker.sock");
    expect(info?.rootDir).toBe("/var/lib/docker");
    expect(formatChecks(checks)).toBe(
      "ok    docker engine: Docker 27.1.0 at /run/docker.sock (rootless, storage overlay2)\nok    harness containers: no leftovers\n",
    );
  });

  it("an engine that does not answer is a FAIL with the fix, whether or not it honours the abort", async () => {
    for (const hang of ["honours-abort", "ignores-abort"] as const) {
      const checks = await withDeadline(
        50,
        (why) => [fail("docker engine", why, "restart the engine")],
        async (s) => (await checkEngine(fakeEngine({ hang }), s, "/run/docker.sock")).checks,
      );
      expect(checks).toHaveLength(1);
      expect(checks[0]).toMatchObject({ name: "docker engine", status: "fail" });
      expect(checks[0]?.fix).toMatch(/restart the engine|dockerd/);
    }
  });

  it("no socket: start the engine; no permission: the docker group", async () => {
    const [missing] = (await checkEngine(fakeEngine({ error: errno("ENOENT") }), AbortSignal.timeout(1000), "/run/docker.sock")).checks;
    expect(formatChecks([missing as Check])).toBe(
      "FAIL  docker engine: no Docker engine answers at /run/docker.sock (ENOENT)\n" +
        "      fix: start one (e.g. `sudo dockerd`; see README) or set DOCKER_HOST; or run with --runtime local\n",
    );
    const [denied] = (await checkEngine(fakeEngine({ error: errno("EACCES") }), AbortSignal.timeout(1000))).checks;
    expect(denied?.fix).toContain("usermod -aG docker");
  });

  it("containers of runs that are gone are leftovers, with `repro-matrix clean` as the fix", async () => {
    const gone = 2 ** 22 + 12345; // above Linux's pid_max default: no such process
    const { checks } = await checkEngine(fakeEngine({ owners: [gone, gone, process.pid] }), AbortSignal.timeout(1000));
    expect(checks[1]).toMatchObject({ status: "warn", detail: "2 left by runs that are gone; 1 in use by a run in progress" });
    expect(checks[1]?.fix).toMatch(/^repro-matrix clean/);
  });

  it("an engine that cannot run Linux containers fails; vfs and no memory limits warn", async () => {
    const statusOf = async (info: Partial<EngineInfo>) =>
      (await checkEngine(fakeEngine({ info }), AbortSignal.timeout(1000))).checks[0]?.status;
    expect(await statusOf({ osType: "windows" })).toBe("fail");
    expect(await statusOf({ storageDriver: "vfs" })).toBe("warn");
    expect(await statusOf({ memoryLimit: false })).toBe("warn");
  });
});

describe("disk check", () => {
  const places = [
    cachePlace(".cache"),
    { label: "/var/lib/docker (Docker's data root)", path: "/var/lib/docker", fix: "repro-matrix clean --images; docker system prune" },
  ];

  it("fails below 2 GiB, warns below 10 GiB, with the commands that make room", () => {
    expect(diskCheck(places, 1.5 * GiB)).toMatchObject({
      status: "fail",
      detail: "1.5 GiB free for .cache and /var/lib/docker (Docker's data root) (needs 2.0 GiB)",
    });
    const low = diskCheck(places, 9.9 * GiB);
    expect(low.status).toBe("warn");
    expect(low.fix).toContain("repro-matrix clean --images");
    expect(low.fix).toContain("docker system prune");
    expect(diskCheck(places, 10 * GiB)).toEqual({
      name: "disk",
      status: "ok",
      detail: "10 GiB free for .cache and /var/lib/docker (Docker's data root)",
    });
    expect(diskCheck([cachePlace(".cache")], 1 * GiB).fix).not.toContain("docker system prune");
  });

  it("reads the filesystem a cache that does not exist yet will be made on, one line per filesystem", async () => {
    const dir = await mkdtemp(join(tmpdir(), "doctor-disk-"));
    const checks = await checkDisk([cachePlace(join(dir, "not", "yet")), cachePlace(dir)], AbortSignal.timeout(1000));
    expect(checks).toHaveLength(1);
    expect(checks[0]?.detail).toMatch(/ GiB free for .*not\/yet and /);
  });
});

describe("index and mirror checks", () => {
  it("the uvicorn page answers: ok with the latency", async () => {
    const seen: string[] = [];
    const c = await checkIndex("https://pypi.org/simple/", "set index.url", AbortSignal.timeout(1000), {
      fetch: fakeFetch(200, seen),
      env: {},
    });
    expect(seen).toEqual(["https://pypi.org/simple/uvicorn/"]);
    expect(c).toMatchObject({ name: "index https://pypi.org/simple/", status: "ok" });
    expect(c.detail).toMatch(/^uvicorn page in \d+ ms \(HTTP 200, PEP 691 JSON\)$/);
  });

  it("no network: FAIL with the error code; a proxy Node's fetch ignores is named in the fix", async () => {
    const refused = fakeFetch(errno("ECONNREFUSED"));
    const c = await checkIndex("https://pypi.org/simple", "set index.url in matrix.yaml", AbortSignal.timeout(1000), {
      fetch: refused,
      env: {},
    });
    expect(formatChecks([c])).toBe(
      "FAIL  index https://pypi.org/simple: https://pypi.org/simple/uvicorn/: ECONNREFUSED\n" +
        "      fix: check the network and proxy, or set index.url in matrix.yaml\n",
    );
    const proxied = await checkIndex("https://pypi.org/simple", "x", AbortSignal.timeout(1000), {
      fetch: refused,
      env: { HTTPS_PROXY: "http://u:secret@proxy:3128" },
    });
    expect(proxied.fix).toMatch(/^export NODE_USE_ENV_PROXY=1 if the index is reached through HTTPS_PROXY/);
    expect(`${proxied.detail}${proxied.fix}`).not.toContain("secret");
    const used = await checkIndex("https://pypi.org/simple", "x", AbortSignal.timeout(1000), {
      fetch: fakeFetch(200),
      env: { HTTPS_PROXY: "http://p:3128", NODE_USE_ENV_PROXY: "1" },
    });
    expect(used.detail).not.toContain("NODE_USE_ENV_PROXY");
  });

  it("no uvicorn page warns; an error status fails", async () => {
    const s = AbortSignal.timeout(1000);
    expect((await checkIndex("https://extra.example/simple", "x", s, { fetch: fakeFetch(404), env: {} })).status).toBe("warn");
    expect((await checkIndex("https://extra.example/simple", "x", s, { fetch: fakeFetch(503), env: {} })).status).toBe("fail");
    expect((await checkIndex("https://extra.example/simple", "x", s, { fetch: fakeFetch(401), env: {} })).fix).toContain("credentials");
  });

  it("a retired Debian suite is not on the mirror: the archive is the fix", async () => {
    const c = await checkMirror("buster", AbortSignal.timeout(1000), fakeFetch(404));
    expect(c.status).toBe("fail");
    expect(c.fix).toContain("archive.debian.org");
  });
});

describe("config, node and tool checks", () => {
  it("a missing or invalid config is a failed check with ConfigError's line", async () => {
    const missing = await checkConfig("/nonexistent/matrix.yaml");
    expect(missing.scenario).toBeUndefined();
    expect(missing.check).toMatchObject({ status: "fail", detail: "/nonexistent/matrix.yaml: cannot read (ENOENT)" });
    const dir = await mkdtemp(join(tmpdir(), "doctor-config-"));
    const file = join(dir, "matrix.yaml");
    await writeFile(file, MINIMAL.replace("workerClasses:", "workerClass:"));
    expect((await checkConfig(file)).check.detail).toBe(`${file}:7: workerClass: unknown field; did you mean workerClasses?`);
  });

  it("Node.js 22 or newer", () => {
    expect(checkNode("22.0.0").status).toBe("ok");
    expect(checkNode("20.11.1")).toMatchObject({ status: "fail", fix: "install Node.js 22 or newer (.ci/run shows how)" });
  });

  it("knows the tag DebianBaseImage builds", () => {
    const image = new DebianBaseImage("bookworm", ".cache") as unknown as { tag: string };
    expect(debianBaseTag("bookworm", ".cache")).toBe(image.tag);
    expect(debianSuites(["debian:bullseye", "python:3.9-slim", "debian:bullseye", "debian:trixie"])).toEqual(["bullseye", "trixie"]);
  });

  it("debootstrap: nothing to say without a debian base, not needed when built, root required to build", async () => {
    const s = AbortSignal.timeout(5000);
    expect(await checkDebootstrap([], [], s)).toBeUndefined();
    expect(await checkDebootstrap(["bookworm"], [], s)).toMatchObject({
      status: "ok",
      detail: "not needed: the bookworm base images are built",
    });
    const user = await checkDebootstrap(["bookworm"], ["bookworm"], s, false);
    expect(user).toMatchObject({ status: "fail", detail: "needs root (it chroots) to build the bookworm base image" });
    expect(user?.fix).toContain("python:3.11-slim");
  });
});

describe("runChecks", () => {
  it("a config that does not load still runs the machine checks", async () => {
    const checks = await runChecks({
      configFile: "/nonexistent/matrix.yaml",
      cacheDir: await mkdtemp(join(tmpdir(), "doctor-cache-")),
      runtime: "docker",
      runtimes: [dockerRuntime({ engineClient: () => fakeEngine() }), localRuntime],
      fetch: fakeFetch(200),
      nodeVersion: "22.3.0",
    });
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ["node", "ok"],
      ["config", "fail"],
      ["local runtime", "ok"],
      ["docker engine", "ok"],
      ["harness containers", "ok"],
      ["host interpreters", expect.any(String)],
      ["disk", expect.any(String)],
      ["python3 (for uv)", expect.any(String)],
      ["index https://pypi.org/simple", "ok"],
    ]);
    expect(doctorExitCode(checks)).toBe(1);
  });

  it("an engine that never answers fails the engine line; the rest still report", async () => {
    const dir = await mkdtemp(join(tmpdir(), "doctor-run-"));
    const config = join(dir, "matrix.yaml");
    await writeFile(config, MINIMAL);
    const started = Date.now();
    const checks = await runChecks({
      configFile: config,
      cacheDir: dir,
      runtime: "docker",
      runtimes: [dockerRuntime({ engineClient: () => fakeEngine({ hang: "ignores-abort" }) }), localRuntime],
      fetch: fakeFetch(200),
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(checks.find((c) => c.name === "docker engine")).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/: no answer within 5 s$/),
    });
    expect(checks.some((c) => c.name === "debootstrap")).toBe(false);
    expect(checks.at(-1)).toMatchObject({ name: "index https://pypi.org/simple", status: "ok" });
  });

  it("--runtime local leaves Docker alone", async () => {
    const checks = await runChecks({
      configFile: "/nonexistent/matrix.yaml",
      cacheDir: await mkdtemp(join(tmpdir(), "doctor-local-")),
      runtime: "local",
      runtimes: [
        dockerRuntime({
          engineClient: () => {
            throw new Error("the engine must not be asked");
          },
        }),
        localRuntime,
      ],
      fetch: fakeFetch(200),
    });
    expect(checks.find((c) => c.name === "docker runtime")).toMatchObject({ status: "ok", detail: "not used (--runtime local)" });
    expect(checks.some((c) => c.name === "docker engine")).toBe(false);
  });
});

describe("host interpreters", () => {
  const era = (pythons: string[]) =>
    parseScenario(
      `${MINIMAL.replace('"3.9": { base: "debian:bullseye" }', pythons.map((p) => `"${p}": { base: pyenv }`).join("\n  "))}pythonPolicy: era\n`,
    );

  it("lists pyenv's builds and the python3.X commands on PATH", async () => {
    const check = await checkInterpreters();
    expect(check.status).toBe("ok");
    // This machine kind has pyenv's CPython 3.6 to 3.13.
    expect(check.detail).toMatch(/^pyenv .*3\.7\.\d+.*3\.13\.\d+ \(.*versions\)/);
  });

  it("says which Pythons an era scenario can pick from, and warns of one this machine lacks", async () => {
    expect((await checkInterpreters(era(["3.7", "3.13"]))).detail).toMatch(
      /pythonPolicy: era picks each release's Python among 3\.7, 3\.13$/,
    );
    const missing = await checkInterpreters(era(["3.5", "3.7"]));
    expect(missing.status).toBe("warn");
    expect(missing.detail).toMatch(/among 3\.7; no interpreter for 3\.5, so no release runs on it$/);
    expect(missing.fix).toBe("pyenv install 3.5, or drop them from python:");
  });
});
