import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fetchSimplePage, IndexCache } from "../../harness/releases/index-page.js";
import type { PackageSources } from "../../harness/releases/pypi-files.js";
import { closestVersions, listReleases, type Release, releaseOf, selectReleases, uploadCutoff } from "../../harness/releases/releases.js";

const PYPI_ONLY: PackageSources = { indexUrl: "https://pypi.org/simple", extraIndexUrls: [], findLinks: [] };
const SHA = "0".repeat(64);

interface FakeFile {
  filename: string;
  yanked?: boolean | string;
  "upload-time"?: string;
}

/** A fetch serving PEP 691 JSON for projects on pypi.org, and counting requests. */
function fakePypi(projects: Record<string, { files: FakeFile[]; versions?: string[] }>) {
  const urls: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    const url = String(input);
    urls.push(url);
    const name = /^https:\/\/pypi\.org\/simple\/([^/]+)\/$/.exec(url)?.[1];
    const project = name ? projects[name] : undefined;
    if (!project) return new Response("not found", { status: 404 });
    const files = project.files.map((f) => ({ url: `https://files.example/${f.filename}`, hashes: { sha256: SHA }, ...f }));
    return Response.json(
      { meta: { "api-version": "1.1" }, name, files, ...(project.versions ? { versions: project.versions } : {}) },
      { headers: { "content-type": "application/vnd.pypi.simple.v1+json" } },
    );
  }) as typeof globalThis.fetch;
  return { fetch, urls };
}

const release = (version: string, extra: Partial<Release> = {}): Release => ({
  version,
  yanked: false,
  prerelease: /(a|b|rc|dev)\d*$/.test(version),
  ...extra,
});

describe("listReleases", () => {
  it("sorts by PEP 440, merges equal versions, and skips what is not PEP 440", async () => {
    const { fetch } = fakePypi({
      x: {
        files: [
          { filename: "x-0.10.0.tar.gz" },
          { filename: "x-1.0.tar.gz" },
          { filename: "x-0.9.1.tar.gz" },
          { filename: "x-1.0rc1-py3-none-any.whl" },
          { filename: "x-1.0.0-py3-none-any.whl" },
          { filename: "x-1.0.dev0.tar.gz" },
          { filename: "x-1.0.post1.tar.gz" },
          { filename: "x-banana-py3-none-any.whl" },
          { filename: "other-2.0.tar.gz" },
        ],
      },
    });
    const releases = await listReleases("X", { sources: PYPI_ONLY, fetch });
    expect(releases.map((r) => r.version)).toEqual(["0.9.1", "0.10.0", "1.0.dev0", "1.0rc1", "1.0", "1.0.post1"]);
    expect(releases.filter((r) => r.prerelease).map((r) => r.version)).toEqual(["1.0.dev0", "1.0rc1"]);
  });

  it("marks a release yanked only when every file is, and takes the earliest upload time", async () => {
    const { fetch } = fakePypi({
      x: {
        files: [
          { filename: "x-1.0-py3-none-any.whl", yanked: "broken", "upload-time": "2020-01-02T00:00:00Z" },
          { filename: "x-1.0.tar.gz", yanked: true, "upload-time": "2020-01-01T10:00:00.5Z" },
          { filename: "x-1.1-py3-none-any.whl", yanked: "broken", "upload-time": "2020-03-01T09:00:00.123456Z" },
          // A wheel built and uploaded later must not move the release's moment.
          { filename: "x-1.1-cp39-cp39-manylinux2014_x86_64.whl", yanked: false, "upload-time": "2021-06-01T00:00:00Z" },
          { filename: "x-1.1.tar.gz", "upload-time": "2020-03-01T09:00:00Z" },
        ],
        // PEP 700: 0.5 lost all its files but is still a release; 1.1.0 spells 1.1 differently.
        versions: ["0.5", "1.0", "1.1.0"],
      },
    });
    const releases = await listReleases("x", { sources: PYPI_ONLY, fetch });
    expect(releases).toEqual([
      { version: "0.5", yanked: false, prerelease: false },
      { version: "1.0", yanked: true, prerelease: false, uploadedAt: "2020-01-01T10:00:00.5Z" },
      { version: "1.1.0", yanked: false, prerelease: false, uploadedAt: "2020-03-01T09:00:00Z" },
    ]);
    expect(uploadCutoff(releases[2] as Release)).toBe("2020-03-01T09:00:00Z");
    expect(uploadCutoff(releases[0] as Release)).toBeUndefined();
  });

  describe("with an HTML extra index and a local find-links folder", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "releases-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("merges the first index that has the project with the find-links folders, as uv does", async () => {
      await writeFile(join(dir, "mypkg-1.0.0-py3-none-any.whl"), "wheel");
      await writeFile(join(dir, "mypkg-0.9.0.tar.gz"), "sdist");
      await writeFile(join(dir, "unrelated-3.0.tar.gz"), "other");
      const pypi = fakePypi({ mypkg: { files: [{ filename: "mypkg-0.8.0.tar.gz", "upload-time": "2019-01-01T00:00:00Z" }] } });
      const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
        if (String(input) !== "https://private.example/simple/mypkg/") return pypi.fetch(input, init);
        const html = `<a href="/files/mypkg-1.0-py3-none-any.whl#sha256=${SHA}">1.0</a>
          <a href="/files/mypkg-1.1.tar.gz" data-yanked="bad">1.1</a>`;
        return new Response(html, { headers: { "content-type": "text/html" } });
      }) as typeof globalThis.fetch;
      const sources = { ...PYPI_ONLY, extraIndexUrls: ["https://private.example/simple"], findLinks: [dir] };
      const releases = await listReleases("mypkg", { sources, fetch });
      // PyPI's 0.8.0 is not offered: the private index has mypkg, so a same-named PyPI project never counts.
      expect(releases).toEqual([
        { version: "0.9.0", yanked: false, prerelease: false },
        // "1.0" from the extra index and "1.0.0" from the folder are one release; extra indexes come first.
        { version: "1.0", yanked: false, prerelease: false },
        { version: "1.1", yanked: true, prerelease: false },
      ]);
    });
  });

  it("gives an empty list when no source has the project", async () => {
    const { fetch, urls } = fakePypi({});
    const sources = { ...PYPI_ONLY, extraIndexUrls: ["https://private.example/simple"] };
    expect(await listReleases("nope", { sources, fetch })).toEqual([]);
    expect(urls.sort()).toEqual(["https://private.example/simple/nope/", "https://pypi.org/simple/nope/"]);
  });

  it("asks the index once per project and sources within a run's cache, unless given a fetch", async () => {
    const cache = new IndexCache();
    const real = globalThis.fetch;
    const { fetch, urls } = fakePypi({ x: { files: [{ filename: "x-1.0.tar.gz" }] } });
    globalThis.fetch = fetch;
    try {
      const [a, b] = await Promise.all([
        listReleases("x", { sources: PYPI_ONLY, cache }),
        listReleases("X", { sources: PYPI_ONLY, cache }),
      ]);
      expect(a).toBe(b);
      expect(await listReleases("x", { cache })).toBe(a);
      expect(urls).toHaveLength(1);
      // Other sources make another release list, but the index page they share is not asked again.
      expect(await listReleases("x", { sources: { ...PYPI_ONLY, findLinks: [tmpdir()] }, cache })).not.toBe(a);
      expect(urls).toHaveLength(1);
      await listReleases("x", { sources: PYPI_ONLY, fetch, cache });
      expect(urls).toHaveLength(2);
      // Another run (a new cache), or no cache at all, asks again: nothing is kept per process.
      await listReleases("x", { sources: PYPI_ONLY, cache: new IndexCache() });
      expect(urls).toHaveLength(3);
      await listReleases("x", { sources: PYPI_ONLY });
      expect(urls).toHaveLength(4);
    } finally {
      globalThis.fetch = real;
    }
  });
});

describe("fetchSimplePage", () => {
  it("fetches a page once per run's cache for every asker, and asks again after a failure", async () => {
    const cache = new IndexCache();
    const real = globalThis.fetch;
    const { fetch, urls } = fakePypi({ y: { files: [{ filename: "y-1.0.tar.gz" }] } });
    let refuse = true;
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      if (refuse) {
        refuse = false;
        urls.push(String(input));
        return new Response("forbidden", { status: 403 });
      }
      return fetch(input, init);
    }) as typeof globalThis.fetch;
    try {
      const url = "https://pypi.org/simple/y/";
      await expect(fetchSimplePage(url, "y", { cache })).rejects.toThrow(/y: .* answered HTTP 403/);
      const [a, b] = await Promise.all([fetchSimplePage(url, "y", { cache }), fetchSimplePage(url, "y==1.0", { cache })]);
      expect(a).toBe(b);
      expect(a?.files.map((f) => f.filename)).toEqual(["y-1.0.tar.gz"]);
      expect(await fetchSimplePage(url, "y", { cache })).toBe(a);
      expect(urls).toEqual([url, url]);
    } finally {
      globalThis.fetch = real;
    }
  });
});

describe("selectReleases", () => {
  const releases = [
    release("0.1.0"),
    release("0.2.0"),
    release("0.2.1", { yanked: true }),
    release("0.9.1"),
    release("0.10.0"),
    release("0.11.0rc1"),
    release("0.11.0"),
    release("0.12.0"),
  ];
  const versions = (rs: Release[]) => rs.map((r) => r.version);
  const strict = { prereleases: false, yanked: false };

  it("takes every release for all, without pre-releases and yanked ones unless asked", () => {
    expect(versions(selectReleases(releases, "all", strict))).toEqual(["0.1.0", "0.2.0", "0.9.1", "0.10.0", "0.11.0", "0.12.0"]);
    expect(selectReleases(releases, "all", { prereleases: true, yanked: true })).toEqual(releases);
  });

  it("takes a PEP 440 range, keeping pre-releases out even when the range spans them", () => {
    expect(versions(selectReleases(releases, ">=0.2,<0.12", strict))).toEqual(["0.2.0", "0.9.1", "0.10.0", "0.11.0"]);
    expect(versions(selectReleases(releases, ">=0.2,<0.12", { prereleases: true, yanked: false }))).toEqual([
      "0.2.0",
      "0.9.1",
      "0.10.0",
      "0.11.0rc1",
      "0.11.0",
    ]);
    expect(versions(selectReleases(releases, "==0.2.*", { prereleases: false, yanked: true }))).toEqual(["0.2.0", "0.2.1"]);
    expect(selectReleases(releases, ">=1.0", strict)).toEqual([]);
  });

  it("throws a readable error for a malformed range", () => {
    expect(() => selectReleases(releases, "0.11", strict)).toThrow(
      '"0.11" is not a PEP 440 version range (such as ">=0.2,<0.12") or "all"',
    );
    expect(() => selectReleases(releases, ">=banana", strict)).toThrow(/not a PEP 440 version range/);
    expect(() => selectReleases(releases, " ", strict)).toThrow(/not a PEP 440 version range/);
  });
});

describe("releaseOf and closestVersions", () => {
  const releases = ["0.9.1", "0.10.0", "0.11.0", "0.11.1", "0.11.2", "0.12.0", "0.13.0"].map((v) => release(v));

  it("finds a release by PEP 440 equality", () => {
    expect(releaseOf(releases, "0.11")?.version).toBe("0.11.0");
    expect(releaseOf(releases, "0.11.0")?.version).toBe("0.11.0");
    expect(releaseOf(releases, "v0.11.1")?.version).toBe("0.11.1");
    expect(releaseOf(releases, "0.11.3")).toBeUndefined();
    expect(releaseOf(releases, "latest")).toBeUndefined();
  });

  it("suggests the neighbours of a missing version, in release order", () => {
    expect(closestVersions(releases, "0.11.9")).toEqual(["0.11.1", "0.11.2", "0.12.0"]);
    expect(closestVersions(releases, "0.1")).toEqual(["0.9.1", "0.10.0", "0.11.0"]);
    expect(closestVersions(releases, "9.0")).toEqual(["0.11.2", "0.12.0", "0.13.0"]);
    expect(closestVersions(releases, "0.11.x")).toEqual(["0.11.0", "0.11.1", "0.11.2"]);
    expect(closestVersions([], "1.0")).toEqual([]);
  });
});

// Talks to the real pypi.org: the release list and upload times the harness plans with.
describe("PyPI (network)", () => {
  it("lists uvicorn's releases in order, with 0.11.4 uploaded on 2020-04-28", async () => {
    const releases = await listReleases("uvicorn");
    const picked = selectReleases(releases, "all", { prereleases: false, yanked: false }).map((r) => r.version);
    expect(picked.indexOf("0.2.5")).toBeGreaterThanOrEqual(0);
    expect(picked.indexOf("0.11.4")).toBeGreaterThan(picked.indexOf("0.2.5"));
    expect(picked.indexOf("0.11.4")).toBeGreaterThan(picked.indexOf("0.9.1"));
    expect(picked.some((v) => /(a|b|rc|dev)\d*$/.test(v))).toBe(false);
    const r = releaseOf(releases, "0.11.4");
    expect(r && uploadCutoff(r)).toMatch(/^2020-04-28T/);
    expect(uploadCutoff(releaseOf(releases, "0.2.5") as Release)).toBe("2018-07-04T14:30:54.794169Z");
  });
});
