import { createHash } from "node:crypto";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { CACHE_DIR, runScenario, tempDir } from "../helpers/harness.js";
import { makeBrokenSdist, makeWheel } from "../helpers/local-wheel.js";

const cellSettings = `onlyBinary: [uvloop]
constraints: ["uvloop<0.22"]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [plain]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
`;

/** The earliest upload time of each version of a project, straight from PyPI (PEP 691 JSON). */
async function pypiUploadTimes(project: string): Promise<Map<string, string>> {
  const res = await fetch(`https://pypi.org/simple/${project}/`, { headers: { Accept: "application/vnd.pypi.simple.v1+json" } });
  expect(res.status, project).toBe(200);
  const page = (await res.json()) as { files: { filename: string; "upload-time": string }[] };
  const times = new Map<string, string>();
  const prefix = new RegExp(`^${project.replace(/[-_.]+/g, "[-_.]")}-`, "i");
  for (const f of page.files) {
    const version = f.filename
      .replace(prefix, "")
      .replace(/(-py\d.*\.whl|-cp\d.*\.whl|\.tar\.gz|\.zip|\.tar\.bz2)$/, "")
      .split("-")[0] as string;
    const seen = times.get(version);
    if (!seen || f["upload-time"] < seen) times.set(version, f["upload-time"]);
  }
  return times;
}

describe("as-of-release locks", () => {
  it("hold no package uploaded after the anchor release, by PyPI's own dates", async () => {
    const out = await tempDir("as-of-release");
    const run = await runScenario(
      `scenario: it-as-of-release
packages:
  uvicorn: [0.2.5]
  gunicorn: 23.0.0
python:
  "3.9": { base: "debian:bullseye" }
resolution: { strategy: as-of-release, allowNewer: [uvloop, httptools] }
${cellSettings}`,
      out,
      { runtime: "local" },
    );
    const r = run.records[0];
    const resolution = r?.evidence.resolution;
    expect(resolution?.strategy).toBe("as-of-release");
    expect(resolution?.anchor).toBe("uvicorn==0.2.5");
    const uvicornTimes = await pypiUploadTimes("uvicorn");
    expect(Date.parse(resolution?.cutoff ?? "")).toBe(Date.parse(uvicornTimes.get("0.2.5") ?? "missing"));

    // Exempt: the axis packages, the installer, and only what a recorded fallback lifted. No
    // uvloop of early 2018 installs on Python 3.9 (no wheel, no solution), so uvloop is always
    // lifted (httptools too when its 2018 sdist fails to compile), and the lock says why.
    const exempt = new Set(resolution?.exempt ?? []);
    const lifted = resolution?.fallback?.packages ?? [];
    expect(lifted).toContain("uvloop");
    expect(resolution?.fallback?.because).toMatch(/No solution found/);
    expect([...exempt].sort()).toEqual(["gunicorn", "pip", "setuptools", "uvicorn", "wheel", ...lifted].sort());
    for (const name of lifted) expect(["uvloop", "httptools"]).toContain(name);
    const held = (r?.evidence.packages ?? []).map((p) => p.split("==") as [string, string]).filter(([n]) => !exempt.has(n));
    // uvicorn 0.2.5 pulls in its protocol packages: every one not exempt is checked.
    expect(held.map(([n]) => n)).toEqual(expect.arrayContaining(["click", "h11", "websockets"]));
    for (const [name, version] of held) {
      const uploaded = (await pypiUploadTimes(name)).get(version);
      expect(uploaded, `${name}==${version} on PyPI`).toBeDefined();
      expect(Date.parse(uploaded as string), `${name}==${version} uploaded ${uploaded}`).toBeLessThanOrEqual(
        Date.parse(resolution?.cutoff as string),
      );
    }
    // And the env is real: the server ran on it.
    expect(["clean", "reproduced", "other-failure"]).toContain(r?.outcome);
  }, 600_000);
});

describe("a package axis from a local wheel folder (find-links)", () => {
  it("makes one env per version of a package no index has, and records the folder in the lock", async () => {
    const out = await tempDir("find-links");
    const wheels = join(out, "wheels");
    await mkdir(wheels);
    await makeWheel(wheels, "rmprobe", "1.0.0");
    await makeWheel(wheels, "rmprobe", "1.1.0");
    const run = await runScenario(
      `scenario: it-find-links
packages:
  uvicorn: [0.39.0]
  gunicorn: 23.0.0
  rmprobe: all
index: { findLinks: [wheels] }
python:
  "3.11": { base: "debian:bookworm" }
${cellSettings}`,
      out,
      { runtime: "local", file: join(out, "matrix.yaml") },
    );
    expect(run.records.map((r) => [r.packages.rmprobe, r.outcome]).sort()).toEqual([
      ["1.0.0", "clean"],
      ["1.1.0", "clean"],
    ]);
    for (const r of run.records) {
      expect(r.evidence.packages).toContain(`rmprobe==${r.packages.rmprobe}`);
      expect(r.evidence.resolution?.sources?.findLinks).toEqual([wheels]);
    }
  }, 600_000);
});

describe("a package axis from a private index (extraUrls)", () => {
  it("resolves and installs a package only that index has, served on loopback", async () => {
    const out = await tempDir("extra-index");
    const wheel = await makeWheel(out, "rmprivate", "2.0.0");
    const bytes = await readFile(wheel);
    const sha = createHash("sha256").update(bytes).digest("hex");
    const name = basename(wheel);
    // A PEP 503 index of one project; every other project is a 404, so it comes from PyPI.
    const server = createServer((req, res) => {
      if (req.url === "/simple/rmprivate/") {
        res.setHeader("content-type", "text/html");
        res.end(`<html><body><a href="/files/${name}#sha256=${sha}">${name}</a></body></html>`);
      } else if (req.url === `/files/${name}`) {
        res.end(bytes);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple`;
    try {
      const run = await runScenario(
        `scenario: it-extra-index
packages:
  uvicorn: [0.39.0]
  gunicorn: 23.0.0
  rmprivate: all
index: { extraUrls: ["${url}"] }
python:
  "3.11": { base: "debian:bookworm" }
${cellSettings}`,
        out,
        { runtime: "local" },
      );
      expect(run.records.map((r) => [r.packages.rmprivate, r.outcome])).toEqual([["2.0.0", "clean"]]);
      expect(run.records[0]?.evidence.packages).toContain("rmprivate==2.0.0");
      expect(run.records[0]?.evidence.resolution?.sources?.extraIndexUrls).toEqual([url]);
    } finally {
      server.close();
    }
  }, 600_000);
});

describe("an env that cannot build", () => {
  it("is install-failed with the compiler's error, the build log's tail and the lock it tried", async () => {
    const out = await tempDir("cannot-build");
    const folder = join(out, "dists");
    await mkdir(folder);
    await makeBrokenSdist(folder, "brokenext", "1.0");
    const scenario = `scenario: it-cannot-build
packages:
  uvicorn: [0.39.0]
  gunicorn: 23.0.0
  brokenext: ["1.0"]
index: { findLinks: [dists] }
python:
  "3.9": { base: "debian:bullseye" }
${cellSettings}`;
    const startedAt = Math.floor(Date.now() / 1000) - 1;
    const run = await runScenario(scenario, out, { runtime: "docker", file: join(out, "matrix.yaml") });
    const r = run.records[0];
    expect(r?.outcome).toBe("install-failed");
    // The steps that worked before the compile failed (COPY wheels, …) left no untagged images
    // on the image the build started from. Another test's build in flight has such images too,
    // until it is tagged: so wait for what is left over to go, which a real leftover never does.
    const docker = run.docker as NonNullable<typeof run.docker>;
    const parent = /^\(building on (\S+)\)/.exec(r?.evidence.installLog ?? "")?.[1] as string;
    const parentId = (await docker.getImage(parent).inspect()).Id;
    const leftovers = async () => {
      const all = await docker.listImages({ all: true });
      const byId = new Map(all.map((i) => [i.Id, i]));
      const tagged = all.filter((i) => (i.RepoTags ?? []).some((t) => t !== "<none>:<none>"));
      const inUse = new Set<string>();
      for (const i of tagged) for (let id: string | undefined = i.Id; id && !inUse.has(id); id = byId.get(id)?.ParentId) inUse.add(id);
      const descends = (id: string) => {
        for (let p = byId.get(id)?.ParentId; p; p = byId.get(p)?.ParentId) if (p === parentId) return true;
        return false;
      };
      return all.filter((i) => i.Created >= startedAt && !inUse.has(i.Id) && descends(i.Id)).map((i) => i.Id);
    };
    await vi.waitFor(async () => expect(await leftovers()).toEqual([]), { timeout: 60_000, interval: 2_000 });
    // Built as a wheel (the build tools were installed before it), not through setup.py install.
    expect(r?.reason).toMatch(/Failed building wheel for brokenext/);
    expect(r?.reason).toMatch(/error/);
    expect(r?.evidence.installLog).toMatch(/broken\.c.*error/);
    expect(r?.evidence.packages).toEqual(expect.arrayContaining(["brokenext==1.0", "uvicorn==0.39.0", "gunicorn==23.0.0"]));
    expect(r?.evidence.resolution?.strategy).toBe("as-of-release");

    // The same recipe and files fail the same way: a second run reports the recorded failure
    // (kept under the cache's build-failures/) instead of compiling again.
    const failures = join(CACHE_DIR, "build-failures");
    const snapshot = async () => Promise.all((await readdir(failures)).sort().map((f) => readFile(join(failures, f), "utf8")));
    const recorded = await snapshot();
    expect(recorded.some((text) => text.includes("brokenext"))).toBe(true);
    const again = await runScenario(scenario, out, { runtime: "docker", file: join(out, "matrix.yaml") });
    expect(again.records[0]?.reason).toBe(r?.reason);
    expect(again.records[0]?.evidence.installLog).toBe(r?.evidence.installLog);
    // Not rebuilt: a rebuild would have written its failure again, with a new time.
    expect(await snapshot()).toEqual(recorded);
  }, 600_000);
});
