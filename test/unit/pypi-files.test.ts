import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, PrerequisiteError } from "../../harness/core/errors.js";
import { IndexCache } from "../../harness/releases/index-page.js";
import { downloadDistFile, listProjectFiles, PackageFileError, PYPI, pickDistFile } from "../../harness/releases/pypi-files.js";
import type { TargetPlatform } from "../../harness/releases/wheel-tags.js";

const CP39: TargetPlatform = { python: "3.9.2", glibc: "2.31", arch: "x86_64" };
const UVLOOP_CP39 = "uvloop-0.23.0-cp39-cp39-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

interface FakeFile {
  filename: string;
  "requires-python"?: string | null;
  yanked?: boolean | string;
  url?: string;
}

/** A fetch that serves PEP 691 pages for the given projects and logs every request. */
function fakeIndex(projects: Record<string, FakeFile[]>) {
  const calls: { url: string; accept: string | null }[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, accept: new Headers(init?.headers).get("accept") });
    const m = /^https:\/\/pypi\.org\/simple\/([^/]+)\/$/.exec(url);
    const files = m?.[1] ? projects[m[1]] : undefined;
    if (!files) return new Response("not found", { status: 404 });
    const page = {
      meta: { "api-version": "1.1" },
      name: m?.[1],
      files: files.map((f) => ({
        url: `https://files.example/${f.filename}`,
        hashes: { sha256: sha(f.filename) },
        "requires-python": null,
        yanked: false,
        ...f,
      })),
    };
    return Response.json(page, {
      headers: { "content-type": "application/vnd.pypi.simple.v1+json" },
    });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const UVLOOP_FILES: FakeFile[] = [
  ...["cp38", "cp39", "cp310"].flatMap((cp) => [
    { filename: `uvloop-0.23.0-${cp}-${cp}-macosx_10_9_x86_64.whl` },
    { filename: UVLOOP_CP39.replaceAll("cp39", cp) },
    {
      filename: UVLOOP_CP39.replaceAll("cp39", cp).replaceAll("x86_64", "aarch64"),
    },
    { filename: `uvloop-0.23.0-${cp}-${cp}-musllinux_1_2_x86_64.whl` },
  ]),
  { filename: "uvloop-0.23.0.tar.gz" },
  {
    filename: "uvloop-0.22.1-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
  },
  { filename: "uvloop-0.22.1.tar.gz" },
].map((f) => ({ ...f, "requires-python": ">=3.8.1" }));

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
};

describe("pickDistFile", () => {
  it("picks the compressed-tag manylinux wheel for cp39 on glibc 2.31, asking for PEP 691 JSON over HTML", async () => {
    const { fetch, calls } = fakeIndex({ uvloop: UVLOOP_FILES });
    const file = await pickDistFile("uvloop", "0.23.0", {
      target: CP39,
      fetch,
    });
    expect(file).toEqual({
      name: "uvloop",
      version: "0.23.0",
      filename: UVLOOP_CP39,
      url: `https://files.example/${UVLOOP_CP39}`,
      sha256: sha(UVLOOP_CP39),
      kind: "wheel",
    });
    expect(calls).toEqual([
      {
        url: "https://pypi.org/simple/uvloop/",
        accept: "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
      },
    ]);
  });

  it("picks the aarch64 wheel for an aarch64 target", async () => {
    const { fetch } = fakeIndex({ uvloop: UVLOOP_FILES });
    const file = await pickDistFile("uvloop", "0.23.0", {
      target: { ...CP39, arch: "aarch64" },
      fetch,
    });
    expect(file.filename).toBe(UVLOOP_CP39.replaceAll("x86_64", "aarch64"));
  });

  it("falls back to the sdist on glibc 2.12, and refuses it when binary-only", async () => {
    const { fetch } = fakeIndex({ uvloop: UVLOOP_FILES });
    const old = { ...CP39, glibc: "2.12" };
    const file = await pickDistFile("uvloop", "0.23.0", { target: old, fetch });
    expect(file).toMatchObject({
      filename: "uvloop-0.23.0.tar.gz",
      kind: "sdist",
      version: "0.23.0",
    });

    const err = await errorOf(
      pickDistFile("uvloop", "0.23.0", {
        target: old,
        fetch,
        onlyBinary: true,
      }),
    );
    expect(err).toBeInstanceOf(PackageFileError);
    expect(err.message).toBe(
      "uvloop==0.23.0: no wheel for cp39 manylinux_2_12_x86_64 (12 wheels listed), only the sdist uvloop-0.23.0.tar.gz, and this package is binary-only",
    );
  });

  it("does not take a cp310 wheel for Python 3.9", async () => {
    const { fetch } = fakeIndex({
      x: [{ filename: "x-1.0-cp310-cp310-manylinux_2_17_x86_64.whl" }],
    });
    const err = await errorOf(pickDistFile("x", "1.0", { target: CP39, fetch }));
    expect(err).toBeInstanceOf(PackageFileError);
    expect(err.message).toBe("x==1.0: no file for cp39 manylinux_2_31_x86_64 (1 wheels listed, none compatible, no sdist)");
  });

  it("takes an abi3 wheel built for cp37 over the pure-Python wheel and the sdist", async () => {
    const { fetch } = fakeIndex({
      x: [
        { filename: "x-1.0.tar.gz" },
        { filename: "x-1.0-py3-none-any.whl" },
        { filename: "x-1.0-cp37-abi3-manylinux2014_x86_64.whl" },
        { filename: "x-1.0-cp310-abi3-manylinux2014_x86_64.whl" },
      ],
    });
    expect((await pickDistFile("x", "1.0", { target: CP39, fetch })).filename).toBe("x-1.0-cp37-abi3-manylinux2014_x86_64.whl");
  });

  it("names a missing version or project", async () => {
    const { fetch } = fakeIndex({ uvloop: UVLOOP_FILES });
    const noVersion = await errorOf(pickDistFile("uvloop", "0.99.0", { target: CP39, fetch }));
    expect(noVersion).toBeInstanceOf(PackageFileError);
    expect(noVersion.message).toBe("uvloop==0.99.0: no such version on https://pypi.org/simple");
    const noProject = await errorOf(pickDistFile("nope", "1.0", { target: CP39, fetch }));
    expect(noProject).toBeInstanceOf(PackageFileError);
    expect(noProject.message).toBe("nope==1.0: no such project on https://pypi.org/simple/nope/");
  });

  it("normalizes the project name and matches versions by PEP 440 equality", async () => {
    const { fetch, calls } = fakeIndex({
      "zope-interface": [{ filename: "zope.interface-5.0.tar.gz" }, { filename: "zope.interface-5.0.1.tar.gz" }],
    });
    const file = await pickDistFile("Zope_._Interface", "5.0.0", {
      target: CP39,
      fetch,
    });
    expect(file).toMatchObject({
      name: "zope-interface",
      version: "5.0",
      filename: "zope.interface-5.0.tar.gz",
    });
    expect(calls[0]?.url).toBe("https://pypi.org/simple/zope-interface/");
  });

  it("tells a hyphenated name from the version in an sdist filename", async () => {
    const { fetch } = fakeIndex({
      "foo-bar": [{ filename: "foo-bar-1.0.tar.gz" }, { filename: "foo-bar-1.0.post1.tar.gz" }],
    });
    expect((await pickDistFile("foo-bar", "1.0.post1", { target: CP39, fetch })).filename).toBe("foo-bar-1.0.post1.tar.gz");
  });

  it("skips files whose requires-python excludes the target, but keeps unparsable ones", async () => {
    const { fetch } = fakeIndex({
      x: [
        {
          filename: "x-1.0-cp39-cp39-manylinux2014_x86_64.whl",
          "requires-python": ">=3.10",
        },
        { filename: "x-1.0-py3-none-any.whl", "requires-python": ">=3.6.*" },
        { filename: "x-1.0.tar.gz", "requires-python": ">=3.9.1" },
      ],
      y: [{ filename: "y-1.0-py3-none-any.whl", "requires-python": ">=3.10" }],
    });
    expect((await pickDistFile("x", "1.0", { target: CP39, fetch })).filename).toBe("x-1.0-py3-none-any.whl");
    const err = await errorOf(pickDistFile("y", "1.0", { target: CP39, fetch }));
    expect(err.message).toBe("y==1.0: no file for Python 3.9.2 (requires-python >=3.10)");
  });

  it("prefers a non-yanked file, but takes a yanked one when nothing else fits", async () => {
    const { fetch } = fakeIndex({
      x: [
        {
          filename: "x-1.0-cp39-cp39-manylinux2014_x86_64.whl",
          yanked: "broken build",
        },
        { filename: "x-1.0-py3-none-any.whl" },
      ],
      y: [{ filename: "y-1.0-cp39-cp39-manylinux2014_x86_64.whl", yanked: true }],
    });
    expect((await pickDistFile("x", "1.0", { target: CP39, fetch })).filename).toBe("x-1.0-py3-none-any.whl");
    expect((await pickDistFile("y", "1.0", { target: CP39, fetch })).filename).toBe("y-1.0-cp39-cp39-manylinux2014_x86_64.whl");
  });

  it("resolves a relative file URL against the project page", async () => {
    const { fetch } = fakeIndex({
      x: [
        {
          filename: "x-1.0-py3-none-any.whl",
          url: "../../files/x-1.0-py3-none-any.whl",
        },
      ],
    });
    expect((await pickDistFile("x", "1.0", { target: CP39, fetch })).url).toBe("https://pypi.org/files/x-1.0-py3-none-any.whl");
  });

  it("retries 5xx and connection resets, then succeeds", async () => {
    const real = fakeIndex({ x: [{ filename: "x-1.0-py3-none-any.whl" }] });
    let n = 0;
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      n++;
      if (n === 1) return new Response("oops", { status: 503 });
      if (n === 2)
        throw new TypeError("fetch failed", {
          cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }),
        });
      return real.fetch(input, init);
    }) as typeof globalThis.fetch;
    expect((await pickDistFile("x", "1.0", { target: CP39, fetch })).filename).toBe("x-1.0-py3-none-any.whl");
    expect(n).toBe(3);
  });

  it("gives up after three retries with a prerequisite error, not a package error", async () => {
    let n = 0;
    const fetch = (async () => {
      n++;
      return new Response("down", { status: 502 });
    }) as typeof globalThis.fetch;
    const err = await errorOf(pickDistFile("x", "1.0", { target: CP39, fetch }));
    expect(err).toBeInstanceOf(PrerequisiteError);
    expect(err).not.toBeInstanceOf(PackageFileError);
    expect(err.message).toBe("cannot fetch https://pypi.org/simple/x/ after 4 tries: HTTP 502");
    expect(n).toBe(4);
  });

  it("does not retry a 4xx, and rejects a page that is not PEP 691", async () => {
    let n = 0;
    const forbidden = (async () => {
      n++;
      return new Response("no", { status: 403 });
    }) as typeof globalThis.fetch;
    await expect(pickDistFile("x", "1.0", { target: CP39, fetch: forbidden })).rejects.toThrow(/HTTP 403/);
    expect(n).toBe(1);
    const html = (async () => new Response("<html></html>")) as typeof globalThis.fetch;
    await expect(pickDistFile("x", "1.0", { target: CP39, fetch: html })).rejects.toThrow(/not return PEP 691 JSON/);
    const wrong = (async () =>
      Response.json({
        files: [{ filename: "x-1.0.tar.gz" }],
      })) as typeof globalThis.fetch;
    await expect(pickDistFile("x", "1.0", { target: CP39, fetch: wrong })).rejects.toThrow(/unexpected page \(files\.0\.url/);
  });
});

describe("pickDistFile across sources", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pypi-sources-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const PYPI_ONLY = { indexUrl: "https://pypi.org/simple", extraIndexUrls: [], findLinks: [] };

  it("picks a wheel from a local find-links folder, hashing it, and copies it into the cache", async () => {
    const links = join(dir, "wheels");
    await mkdir(links);
    await writeFile(join(links, "mypkg-1.0.0-py3-none-any.whl"), "the wheel");
    await writeFile(join(links, "mypkg-1.0.0.tar.gz"), "the sdist");
    await writeFile(join(links, "other-1.0.0-py3-none-any.whl"), "another project");
    // The main index has never heard of mypkg: a 404 there is fine when find-links has it.
    const { fetch, calls } = fakeIndex({});
    const file = await pickDistFile("MyPkg", "1.0", { target: CP39, fetch, sources: { ...PYPI_ONLY, findLinks: [links] } });
    expect(file).toEqual({
      name: "mypkg",
      version: "1.0.0",
      filename: "mypkg-1.0.0-py3-none-any.whl",
      url: pathToFileURL(join(links, "mypkg-1.0.0-py3-none-any.whl")).href,
      sha256: sha("the wheel"),
      kind: "wheel",
    });
    expect(calls.map((c) => c.url)).toEqual(["https://pypi.org/simple/mypkg/"]);

    const cache = join(dir, "cache");
    const path = await downloadDistFile(file, cache);
    expect(path).toBe(join(cache, file.filename));
    expect(await readFile(path, "utf8")).toBe("the wheel");
    expect(await readdir(cache)).toEqual([file.filename]);
  });

  it("rejects a find-links file that changed since it was listed, and one that is gone", async () => {
    const wheel = join(dir, "mypkg-1.0.0-py3-none-any.whl");
    await writeFile(wheel, "the wheel");
    const file = await pickDistFile("mypkg", "1.0.0", {
      target: CP39,
      fetch: fakeIndex({}).fetch,
      sources: { ...PYPI_ONLY, findLinks: [dir] },
    });
    await writeFile(wheel, "swapped");
    const cache = join(dir, "cache");
    const changed = await errorOf(downloadDistFile(file, cache));
    expect(changed).toBeInstanceOf(PackageFileError);
    expect(changed.message).toBe(`mypkg==1.0.0: ${file.filename} has sha256 ${sha("swapped")}, the index says ${sha("the wheel")}`);
    await rm(wheel);
    const gone = await errorOf(downloadDistFile(file, cache));
    expect(gone).toBeInstanceOf(PackageFileError);
    expect(gone.message).toBe(`mypkg==1.0.0: ${wheel} no longer exists`);
    expect(await readdir(cache)).toEqual([]);
  });

  it("picks from an extra HTML index when the main index 404s, skipping files without a sha256", async () => {
    const calls: string[] = [];
    const fetch = (async (input: string | URL | Request) => {
      const url = String(input);
      calls.push(url);
      if (url !== "https://private.example/simple/mypkg/") return new Response("not found", { status: 404 });
      const html = `<!DOCTYPE html><html><body>
        <a href="../../files/mypkg-1.0.0-cp39-cp39-manylinux_2_17_x86_64.whl">mypkg-1.0.0-cp39-cp39-manylinux_2_17_x86_64.whl</a>
        <a href="../../files/mypkg-1.0.0-py3-none-any.whl#sha256=${sha("pure")}" data-requires-python="&gt;=3.8">pure</a>
        <a href="../../files/mypkg-1.0.0.tar.gz#sha256=${sha("sdist")}">sdist</a>
      </body></html>`;
      return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
    }) as typeof globalThis.fetch;
    const sources = { ...PYPI_ONLY, extraIndexUrls: ["https://private.example/simple/"] };
    const file = await pickDistFile("mypkg", "1.0.0", { target: CP39, fetch, sources });
    // The manylinux wheel would score higher, but without a hash it cannot be checked.
    expect(file).toEqual({
      name: "mypkg",
      version: "1.0.0",
      filename: "mypkg-1.0.0-py3-none-any.whl",
      url: "https://private.example/files/mypkg-1.0.0-py3-none-any.whl",
      sha256: sha("pure"),
      kind: "wheel",
    });
    expect(calls.sort()).toEqual(["https://private.example/simple/mypkg/", "https://pypi.org/simple/mypkg/"]);
  });

  it("never takes a file from a later index when an earlier one has the project (no dependency confusion)", async () => {
    const fetch = (async (input: string | URL | Request) => {
      const url = String(input);
      if (url === "https://private.example/simple/corp-lib/") {
        const html = `<a href="/files/corp-lib-1.0.tar.gz#sha256=${sha("private sdist")}">sdist</a>`;
        return new Response(html, { headers: { "content-type": "text/html" } });
      }
      // A same-named wheel someone published on PyPI: it would outrank an sdist if it were considered.
      const page = {
        files: [
          {
            filename: "corp_lib-1.0-py3-none-any.whl",
            url: "https://files.example/corp_lib-1.0-py3-none-any.whl",
            hashes: { sha256: sha("pypi wheel") },
          },
        ],
      };
      return new Response(JSON.stringify(page), { headers: { "content-type": "application/vnd.pypi.simple.v1+json" } });
    }) as typeof globalThis.fetch;
    const sources = { ...PYPI_ONLY, extraIndexUrls: ["https://private.example/simple"] };
    const file = await pickDistFile("corp-lib", "1.0", { target: CP39, fetch, sources });
    expect(file.url).toBe("https://private.example/files/corp-lib-1.0.tar.gz");
  });

  it("names every source when no source has the project or the version", async () => {
    const { fetch } = fakeIndex({ x: [{ filename: "x-1.0.tar.gz" }] });
    const sources = { ...PYPI_ONLY, extraIndexUrls: ["https://private.example/simple"], findLinks: [dir] };
    const noProject = await errorOf(pickDistFile("nope", "1.0", { target: CP39, fetch, sources }));
    expect(noProject).toBeInstanceOf(PackageFileError);
    expect(noProject.message).toBe(
      `nope==1.0: no such project on https://private.example/simple/nope/, https://pypi.org/simple/nope/, ${dir}`,
    );
    const noVersion = await errorOf(pickDistFile("x", "2.0", { target: CP39, fetch, sources }));
    expect(noVersion.message).toBe(`x==2.0: no such version on https://private.example/simple, https://pypi.org/simple, ${dir}`);
  });

  it("treats a missing find-links folder as a configuration mistake", async () => {
    const sources = { ...PYPI_ONLY, findLinks: [join(dir, "missing")] };
    const err = await errorOf(pickDistFile("x", "1.0", { target: CP39, fetch: fakeIndex({}).fetch, sources }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(`find-links ${join(dir, "missing")}: no such folder`);
  });
});

/** A wheel to download, and a fetch that serves `body` for any URL and logs the URLs asked. */
const CONTENT = "wheel bytes";
const file = {
  name: "x",
  version: "1.0",
  filename: "x-1.0-py3-none-any.whl",
  url: "https://files.example/x-1.0-py3-none-any.whl",
  sha256: sha(CONTENT),
  kind: "wheel" as const,
};
const serving = (body: string) => {
  const urls: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    urls.push(String(input));
    return new Response(body);
  }) as typeof globalThis.fetch;
  return { fetch, urls };
};

describe("downloadDistFile", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pypi-files-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("downloads once, then serves the cached copy", async () => {
    const { fetch, urls } = serving(CONTENT);
    const path = await downloadDistFile(file, join(dir, "cache"), { fetch });
    expect(path).toBe(join(dir, "cache", file.filename));
    expect(await readFile(path, "utf8")).toBe(CONTENT);
    expect(await downloadDistFile(file, join(dir, "cache"), { fetch })).toBe(path);
    expect(urls).toEqual([file.url]);
    expect(await readdir(join(dir, "cache"))).toEqual([file.filename]);
  });

  it("replaces a cached copy whose hash is wrong", async () => {
    await writeFile(join(dir, file.filename), "truncated");
    const { fetch, urls } = serving(CONTENT);
    const path = await downloadDistFile(file, dir, { fetch });
    expect(await readFile(path, "utf8")).toBe(CONTENT);
    expect(urls).toHaveLength(1);
  });

  it("rejects a download whose sha256 does not match, leaving nothing behind", async () => {
    const { fetch } = serving("tampered");
    const err = await errorOf(downloadDistFile(file, dir, { fetch }));
    expect(err).toBeInstanceOf(PackageFileError);
    expect(err.message).toBe(`x==1.0: x-1.0-py3-none-any.whl has sha256 ${sha("tampered")}, the index says ${sha(CONTENT)}`);
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses a filename that would escape the cache directory", async () => {
    const { fetch, urls } = serving(CONTENT);
    await expect(downloadDistFile({ ...file, filename: "../x.whl" }, dir, { fetch })).rejects.toThrow(PackageFileError);
    expect(urls).toEqual([]);
  });
});

// Talks to the real pypi.org: the file choices the harness depends on, from PyPI's actual listing.
describe("PyPI (network)", () => {
  const target: TargetPlatform = {
    python: "3.9.2",
    glibc: "2.31",
    arch: "x86_64",
  };

  it("picks uvicorn 0.11.4's pure-Python wheel and downloads it with a matching sha256", async () => {
    const file = await pickDistFile("uvicorn", "0.11.4", { target });
    expect(file).toMatchObject({
      name: "uvicorn",
      filename: "uvicorn-0.11.4-py3-none-any.whl",
      kind: "wheel",
    });
    expect(file.url).toMatch(/^https:\/\/files\.pythonhosted\.org\//);
    const dir = await mkdtemp(join(tmpdir(), "pypi-net-"));
    try {
      const path = await downloadDistFile(file, dir);
      expect(
        createHash("sha256")
          .update(await readFile(path))
          .digest("hex"),
      ).toBe(file.sha256);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("picks uvloop 0.23.0's compressed-tag wheel on glibc 2.31 and its sdist on glibc 2.12", async () => {
    expect((await pickDistFile("uvloop", "0.23.0", { target })).filename).toBe(UVLOOP_CP39);
    const old = { ...target, glibc: "2.12" };
    expect((await pickDistFile("uvloop", "0.23.0", { target: old })).filename).toBe("uvloop-0.23.0.tar.gz");
    await expect(pickDistFile("uvloop", "0.23.0", { target: old, onlyBinary: true })).rejects.toThrow(PackageFileError);
  });
});

describe("one run's cache (IndexCache)", () => {
  let dir: string;
  const real = globalThis.fetch;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pypi-run-cache-"));
  });
  afterEach(async () => {
    globalThis.fetch = real;
    await rm(dir, { recursive: true, force: true });
  });

  // A run's cache serves only its own lookups: a caller that brings its own fetch is asked every time.
  it("reads a project's files once for all its pins, and picks each pin and target once", async () => {
    const { fetch, calls } = fakeIndex({ uvloop: UVLOOP_FILES });
    globalThis.fetch = fetch;
    const cache = new IndexCache();
    const picks = await Promise.all([
      pickDistFile("uvloop", "0.23.0", { target: CP39, cache }),
      pickDistFile("uvloop", "0.23.0", { target: CP39, cache }),
      pickDistFile("UVLoop", "0.22.1", { target: CP39, cache }),
      pickDistFile("uvloop", "0.23", { target: { ...CP39, glibc: "2.12" }, cache }),
    ]);
    expect(picks.map((f) => f.filename)).toEqual([UVLOOP_CP39, UVLOOP_CP39, UVLOOP_FILES.at(-2)?.filename, "uvloop-0.23.0.tar.gz"]);
    expect(calls).toHaveLength(1);
    // One pick per pin and target, and one parse of the project's files for all of them.
    expect(picks[1]).toBe(picks[0]);
    expect(cache.picks.size).toBe(3);
    expect(cache.listings.size).toBe(1);
    expect(await listProjectFiles("uvloop", PYPI, "uvloop", { cache })).toBe(await listProjectFiles("UVLOOP", PYPI, "x", { cache }));
    // Without the run's cache every pick reads the page again.
    await pickDistFile("uvloop", "0.23.0", { target: CP39 });
    expect(calls).toHaveLength(2);
  });

  it("asks again for a pin that failed, as the index may have it now", async () => {
    const { fetch, calls } = fakeIndex({ uvloop: UVLOOP_FILES });
    globalThis.fetch = fetch;
    const cache = new IndexCache();
    expect(await errorOf(pickDistFile("uvloop", "9.9", { target: CP39, cache }))).toBeInstanceOf(PackageFileError);
    expect(cache.picks.size).toBe(0);
    expect((await pickDistFile("uvloop", "0.23.0", { target: CP39, cache })).filename).toBe(UVLOOP_CP39);
    expect(cache.picks.size).toBe(1);
    expect(calls).toHaveLength(1);
  });

  it("checks a cached file against its sha256 once per run, not once per env", async () => {
    const { fetch, urls } = serving(CONTENT);
    globalThis.fetch = fetch;
    const files = join(dir, "files");
    const cache = new IndexCache();
    const path = await downloadDistFile(file, files, { cache });
    // Damaged behind the run's back: this run has checked it already and does not read it again…
    await writeFile(path, "damaged");
    expect(await downloadDistFile(file, files, { cache })).toBe(path);
    expect(urls).toHaveLength(1);
    // …while the next run (a new cache) checks it, finds the damage, and downloads it again.
    expect(await downloadDistFile(file, files, { cache: new IndexCache() })).toBe(path);
    expect(urls).toHaveLength(2);
    expect(await readFile(path, "utf8")).toBe(CONTENT);
  });
});
