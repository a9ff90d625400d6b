import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { eq, satisfies, valid, validRange } from "@renovatebot/pep440";
import { PrerequisiteError } from "../core/errors.js";
import { normalizeName } from "../core/package-name.js";
import { sharedPromise } from "../core/shared-promise.js";
import {
  type FetchOptions,
  fetchSimplePage,
  type IndexCache,
  type ListedFile,
  listFindLinks,
  sha256OfFile,
  throwIfTransient,
  withRetry,
} from "./index-page.js";
import { parseWheelFilename, type TargetPlatform, wheelScore } from "./wheel-tags.js";

export interface DistFile {
  /** PEP 503-normalized project name. */
  name: string;
  /** The version as the file spells it. */
  version: string;
  filename: string;
  /** https:// from an index or a page of links, file:// from a local find-links folder. */
  url: string;
  sha256: string;
  kind: "wheel" | "sdist";
}

/** Where packages come from, as uv and pip take them (--index-url, --extra-index-url, --find-links). */
export interface PackageSources {
  /** A PEP 503/691 simple index. */
  indexUrl: string;
  extraIndexUrls: string[];
  /** Absolute local folders (or file:// URLs), or http(s) URLs of a page of links. */
  findLinks: string[];
}

export const PYPI: PackageSources = { indexUrl: "https://pypi.org/simple", extraIndexUrls: [], findLinks: [] };

/** A scenario's `index` settings as the sources every lookup and resolution uses. */
export const sourcesOfIndex = (index: { url: string; extraUrls: string[]; findLinks: string[] }): PackageSources => ({
  indexUrl: index.url,
  extraIndexUrls: index.extraUrls,
  findLinks: index.findLinks,
});

export interface PickOptions {
  target: TargetPlatform;
  /** Default: PyPI only. */
  sources?: PackageSources;
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
  /** Refuse sdists: the target would have to build them. */
  onlyBinary?: boolean;
  /** The run's pages, fetched once for all its envs. */
  cache?: IndexCache;
}

/**
 * A pinned package has no usable file (no such project or version, nothing for the target,
 * a hash that does not match). It is data about the env, not a fault of the harness.
 */
export class PackageFileError extends Error {}

export { normalizeName };

/** A listed file that belongs to the project, with the version its filename spells. */
export interface ProjectFile extends ListedFile {
  version: string;
  kind: "wheel" | "sdist";
}

export interface ProjectListing {
  /** Some source knows the project (an index page exists, or a find-links file is named for it). */
  found: boolean;
  /** In source order: extra indexes, the main index, then find-links. */
  files: ProjectFile[];
  /** PEP 700 version lists of the JSON index pages, in the same order. */
  versions: string[];
  /** Each page and find-links location looked at, for messages. */
  searched: string[];
  /** The version spellings of `files` (a project has a hundred or so, uvloop 1,500 files): a pin is compared with each once. */
  spellings: string[];
}

/**
 * Every file of one project across all its sources. Extra indexes come first because uv searches
 * them before the main index, so the same filename on two sources resolves the way uv's lock did.
 * A project missing from one source is normal (a private index holds only its own packages).
 */
export function listProjectFiles(name: string, sources: PackageSources, label: string, opts: FetchOptions = {}): Promise<ProjectListing> {
  const project = normalizeName(name);
  if (!opts.cache || opts.fetch) return readProjectFiles(project, sources, label, opts);
  const key = JSON.stringify([project, sources]);
  return sharedPromise(opts.cache.listings, key, () => readProjectFiles(project, sources, label, opts)) as Promise<ProjectListing>;
}

async function readProjectFiles(project: string, sources: PackageSources, label: string, opts: FetchOptions): Promise<ProjectListing> {
  const indexes = [...sources.extraIndexUrls, sources.indexUrl].map((i) => `${i.replace(/\/+$/, "")}/${project}/`);
  const ofProject = (files: ListedFile[]) =>
    files.flatMap((f) => {
      const parsed = fileVersion(f.filename, project);
      return parsed ? [{ ...f, ...parsed }] : [];
    });
  const [pages, linked] = await Promise.all([
    Promise.all(indexes.map((url) => fetchSimplePage(url, label, opts))),
    Promise.all(sources.findLinks.map((loc) => listFindLinks(loc, (f) => fileVersion(f, project) !== undefined, opts))),
  ]);
  // As uv's default (first-index) strategy: the first index that has the project is the only
  // one asked, so a same-named package on a later index (PyPI) never replaces a private one.
  const first = pages.find((p) => p !== undefined);
  const files = [...ofProject(first?.files ?? []), ...linked.flatMap(ofProject)];
  return {
    found: first !== undefined || linked.some((l) => l.length > 0),
    files,
    versions: first?.versions ?? [],
    searched: [...indexes, ...sources.findLinks],
    spellings: [...new Set(files.map((f) => f.version))],
  };
}

interface Candidate {
  file: DistFile;
  yanked: boolean;
  score: number;
  build: number;
}

/**
 * The file pip would install for `name==version` on the target. A run asks once per pin and
 * target (its cache keeps the answer; a failure is asked again, as the index may have changed).
 */
export function pickDistFile(name: string, version: string, opts: PickOptions): Promise<DistFile> {
  if (!opts.cache || opts.fetch) return pickFile(name, version, opts);
  const { python, glibc, arch } = opts.target;
  const key = JSON.stringify([normalizeName(name), version, python, glibc, arch, Boolean(opts.onlyBinary), opts.sources ?? PYPI]);
  return sharedPromise(opts.cache.picks, key, () => pickFile(name, version, opts)) as Promise<DistFile>;
}

async function pickFile(name: string, version: string, opts: PickOptions): Promise<DistFile> {
  const project = normalizeName(name);
  const pin = `${project}==${version}`;
  if (!valid(version)) throw new PackageFileError(`${pin}: not a PEP 440 version`);
  const sources = opts.sources ?? PYPI;
  const listing = await listProjectFiles(project, sources, pin, opts);
  if (!listing.found) throw new PackageFileError(`${pin}: no such project on ${listing.searched.join(", ")}`);

  // PEP 440 equality ("1.0" is "1.0.0"), decided once per spelling rather than once per file.
  const matching = new Set(listing.spellings.filter((v) => valid(v) && eq(v, version)));
  const ofVersion = listing.files.filter((f) => matching.has(f.version));
  if (ofVersion.length === 0) {
    const where = [...sources.extraIndexUrls, sources.indexUrl, ...sources.findLinks].map((s) => s.replace(/\/+$/, ""));
    throw new PackageFileError(`${pin}: no such version on ${where.join(", ")}`);
  }

  const python = opts.target.python;
  const forPython = ofVersion.filter((f) => pythonAllowed(python, f.requiresPython));
  if (forPython.length === 0) {
    const spec = ofVersion.find((f) => f.requiresPython)?.requiresPython;
    throw new PackageFileError(`${pin}: no file for Python ${python} (requires-python ${spec})`);
  }
  // Every file is checked after download, so one without a sha256 is of no use. The same file on
  // two sources counts once, from the source searched first.
  const hashed: ProjectFile[] = [];
  for (const f of forPython) {
    if (f.sha256 !== undefined && !hashed.some((h) => h.filename === f.filename)) hashed.push(f);
  }
  if (hashed.length === 0) throw new PackageFileError(`${pin}: the index lists no sha256 for any file`);

  const candidates: Candidate[] = [];
  for (const f of hashed) {
    const score = f.kind === "wheel" ? wheelScore(f.filename, opts.target) : 0;
    if (score === undefined) continue;
    if (f.kind === "sdist" && opts.onlyBinary) continue;
    candidates.push({
      file: {
        name: project,
        version: f.version,
        filename: f.filename,
        url: f.url,
        sha256: f.sha256 ?? "",
        kind: f.kind,
      },
      // pip's rule for pinned versions: a yanked file is allowed, but any other file beats it.
      yanked: f.yanked,
      score,
      build: f.kind === "wheel" ? Number.parseInt(parseWheelFilename(f.filename)?.build ?? "-1", 10) : -1,
    });
  }
  candidates.sort(compareCandidates);
  const best = candidates[0];
  if (best) return best.file;

  const wheels = hashed.filter((f) => f.kind === "wheel").length;
  const sdist = hashed.find((f) => f.kind === "sdist");
  const where = describeTarget(opts.target);
  if (sdist) {
    throw new PackageFileError(
      `${pin}: no wheel for ${where} (${wheels} wheels listed), only the sdist ${sdist.filename}, and this package is binary-only`,
    );
  }
  throw new PackageFileError(`${pin}: no file for ${where} (${wheels} wheels listed, none compatible, no sdist)`);
}

/** Like pip: non-yanked first, then any wheel over the sdist, then tag priority, then build tag. */
function compareCandidates(a: Candidate, b: Candidate): number {
  return (
    Number(a.yanked) - Number(b.yanked) ||
    Number(b.file.kind === "wheel") - Number(a.file.kind === "wheel") ||
    b.score - a.score ||
    b.build - a.build ||
    // Old releases sometimes carry both .tar.gz and .zip sdists: settle on one deterministically.
    Number(b.file.filename.endsWith(".tar.gz")) - Number(a.file.filename.endsWith(".tar.gz")) ||
    a.file.filename.localeCompare(b.file.filename)
  );
}

const describeTarget = (t: TargetPlatform) => {
  const [major, minor] = t.python.split(".");
  return `cp${major}${minor} manylinux_${t.glibc.replace(".", "_")}_${t.arch}`;
};

/** pip ignores a requires-python it cannot parse (PyPI has some, e.g. ">=3.6.*"), and so do we. */
export function pythonAllowed(python: string, spec: string | null | undefined): boolean {
  if (!spec?.trim()) return true;
  try {
    return !validRange(spec) || satisfies(python, spec, { prereleases: true });
  } catch {
    return true;
  }
}

const SDIST_EXTENSIONS = [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar"];

/** The version and kind a wheel or sdist filename spells, if the file belongs to `project` (normalized). */
export function fileVersion(filename: string, project: string): { version: string; kind: "wheel" | "sdist" } | undefined {
  if (filename.endsWith(".whl")) {
    const wheel = parseWheelFilename(filename);
    return wheel && normalizeName(wheel.name) === project ? { version: wheel.version, kind: "wheel" } : undefined;
  }
  const ext = SDIST_EXTENSIONS.find((e) => filename.toLowerCase().endsWith(e));
  if (!ext) return undefined;
  const stem = filename.slice(0, -ext.length);
  // The name may itself hold hyphens, so try each split and keep the one whose name matches.
  for (let i = stem.indexOf("-"); i > 0; i = stem.indexOf("-", i + 1)) {
    if (normalizeName(stem.slice(0, i)) === project && valid(stem.slice(i + 1))) {
      return { version: stem.slice(i + 1), kind: "sdist" };
    }
  }
  return undefined;
}

/**
 * Puts the file at <cacheDir>/<filename>, reusing a copy whose sha256 matches. Writes go to a
 * temporary name first, so a crash or a concurrent download never leaves a half file in place.
 * A file:// file (from a find-links folder) is copied the same way, so every env's files sit in
 * one cache whatever their source, and a file changed since it was listed is caught.
 */
export function downloadDistFile(
  file: DistFile,
  cacheDir: string,
  opts: { fetch?: typeof globalThis.fetch; signal?: AbortSignal; cache?: IndexCache } = {},
): Promise<string> {
  if (!opts.cache || opts.fetch) return placeFile(file, cacheDir, opts);
  // Checked once per run: the envs of a sweep share most files, and hashing each again per env
  // (gunicorn's wheel 243 times) was a third of a warm sweep.
  const key = JSON.stringify([resolve(cacheDir), file.filename, file.sha256.toLowerCase()]);
  return sharedPromise(opts.cache.checkedFiles, key, () => placeFile(file, cacheDir, opts));
}

async function placeFile(
  file: DistFile,
  cacheDir: string,
  opts: { fetch?: typeof globalThis.fetch; signal?: AbortSignal },
): Promise<string> {
  const pin = `${file.name}==${file.version}`;
  if (basename(file.filename) !== file.filename || file.filename.startsWith(".")) {
    throw new PackageFileError(`${pin}: refusing unsafe filename ${JSON.stringify(file.filename)}`);
  }
  const dir = resolve(cacheDir);
  const dest = join(dir, file.filename);
  const want = file.sha256.toLowerCase();
  if ((await sha256OfFile(dest)) === want) return dest;

  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${file.filename}.${process.pid}.${randomBytes(4).toString("hex")}.part`);
  try {
    const got = file.url.startsWith("file:") ? await copyLocal(file, pin, tmp, opts.signal) : await download(file, pin, tmp, opts);
    if (got !== want) {
      throw new PackageFileError(`${pin}: ${file.filename} has sha256 ${got}, the index says ${want}`);
    }
    await rename(tmp, dest);
    return dest;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function download(file: DistFile, pin: string, tmp: string, opts: FetchOptions): Promise<string> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  return withRetry(file.url, opts.signal, async () => {
    const res = await doFetch(file.url, { signal: opts.signal });
    await throwIfTransient(res);
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new PrerequisiteError(`${pin}: ${file.url} answered HTTP ${res.status}`);
    }
    return writeHashed(Readable.fromWeb(res.body), tmp, opts.signal);
  });
}

async function copyLocal(file: DistFile, pin: string, tmp: string, signal: AbortSignal | undefined): Promise<string> {
  const path = fileURLToPath(file.url);
  try {
    return await writeHashed(createReadStream(path), tmp, signal);
  } catch (err) {
    // Gone since it was listed: the env cannot have this file, which is data about the env.
    if ((err as { code?: unknown }).code === "ENOENT") throw new PackageFileError(`${pin}: ${path} no longer exists`);
    throw err;
  }
}

/** Streams into `tmp`, hashing on the way, and returns the hex sha256. */
async function writeHashed(source: Readable, tmp: string, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash("sha256");
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(source, tap, createWriteStream(tmp), { signal });
  return hash.digest("hex");
}
