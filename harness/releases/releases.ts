import { compare, eq, explain, satisfies, valid, validRange } from "@renovatebot/pep440";
import { sharedPromise } from "../core/shared-promise.js";
import type { IndexCache } from "./index-page.js";
import { listProjectFiles, normalizeName, type PackageSources, PYPI } from "./pypi-files.js";

/** One release of a project, merged across every source that lists it. */
export interface Release {
  /** As the sources spell it (the first spelling seen, PEP 700 lists first). */
  version: string;
  /** PEP 592: every file of the release is yanked. A release known only by name is not. */
  yanked: boolean;
  /** PEP 440 pre-release or dev release. */
  prerelease: boolean;
  /** The earliest upload-time among its files (only PEP 691 JSON indexes give one). */
  uploadedAt?: string;
}

export interface ListReleasesOptions {
  /** Default: PyPI only. */
  sources?: PackageSources;
  signal?: AbortSignal;
  /** For tests: a fake fetch, which also bypasses the cache. */
  fetch?: typeof globalThis.fetch;
  /** The run's cache of pages and release lists; without one, the index is asked afresh. */
  cache?: IndexCache;
}

/**
 * Every release of `name` on its sources (index, extra indexes, find-links), in PEP 440 order,
 * versions equal under PEP 440 ("1.0" and "1.0.0") merged, versions that are not PEP 440 skipped.
 * A project no source knows gives an empty list: the caller decides what that means.
 */
export function listReleases(name: string, opts: ListReleasesOptions = {}): Promise<Release[]> {
  const sources = opts.sources ?? PYPI;
  if (opts.fetch || !opts.cache) return fetchReleases(name, sources, opts);
  // Many envs share an anchor package, and a matrix asks for each axis once: one request per
  // (sources, project) per run. In-flight promises are kept so concurrent askers share one.
  const key = JSON.stringify([normalizeName(name), sources.indexUrl, sources.extraIndexUrls, sources.findLinks]);
  return sharedPromise(opts.cache.releases as Map<string, Promise<Release[]>>, key, () => fetchReleases(name, sources, opts));
}

interface Sighting {
  version: string;
  /** Undefined for a version known only from a PEP 700 list, with no file. */
  file?: { yanked: boolean; uploadedAt?: string };
}

async function fetchReleases(name: string, sources: PackageSources, opts: ListReleasesOptions): Promise<Release[]> {
  const listing = await listProjectFiles(name, sources, normalizeName(name), opts);
  const sightings: Sighting[] = [
    ...listing.versions.map((version) => ({ version })),
    ...listing.files.map((f) => ({
      version: f.version,
      file: { yanked: f.yanked, ...(f.uploadedAt ? { uploadedAt: f.uploadedAt } : {}) },
    })),
  ].filter((s) => valid(s.version) !== null);
  // Array sort is stable, so within a run of equal versions the first spelling seen leads.
  sightings.sort((a, b) => compare(a.version, b.version));

  const releases: Release[] = [];
  for (let i = 0; i < sightings.length; ) {
    let j = i + 1;
    while (j < sightings.length && compare((sightings[i] as Sighting).version, (sightings[j] as Sighting).version) === 0) j++;
    releases.push(toRelease(sightings.slice(i, j)));
    i = j;
  }
  return releases;
}

function toRelease(same: Sighting[]): Release {
  const version = (same[0] as Sighting).version;
  const files = same.flatMap((s) => (s.file ? [s.file] : []));
  const times = files.flatMap((f) => (f.uploadedAt && !Number.isNaN(Date.parse(f.uploadedAt)) ? [f.uploadedAt] : []));
  const uploadedAt = times.reduce<string | undefined>(
    (min, t) => (min === undefined || Date.parse(t) < Date.parse(min) ? t : min),
    undefined,
  );
  return {
    version,
    yanked: files.length > 0 && files.every((f) => f.yanked),
    prerelease: explain(version)?.is_prerelease ?? false,
    ...(uploadedAt ? { uploadedAt } : {}),
  };
}

/**
 * The releases a package axis asks for: "all", or those in a PEP 440 range. Pre-releases and
 * yanked releases stay out unless asked for, even when a range names one, so widening a range
 * never silently pulls in an rc. Throws on a malformed range; an empty result is the caller's.
 */
export function selectReleases(releases: Release[], select: string, opts: { prereleases: boolean; yanked: boolean }): Release[] {
  const range = select.trim();
  if (range !== "all" && (range === "" || !validRange(range))) {
    throw new Error(`"${select}" is not a PEP 440 version range (such as ">=0.2,<0.12") or "all"`);
  }
  return releases.filter(
    (r) =>
      (opts.prereleases || !r.prerelease) &&
      (opts.yanked || !r.yanked) &&
      (range === "all" || satisfies(r.version, range, { prereleases: opts.prereleases })),
  );
}

/** The release equal to `version` under PEP 440 ("0.11" is "0.11.0"). */
export function releaseOf(releases: Release[], version: string): Release | undefined {
  if (!valid(version)) return undefined;
  return releases.find((r) => eq(r.version, version));
}

/**
 * Up to `count` versions nearest to one that is not a release, for a "did you mean" hint, in
 * release order. A PEP 440 version's neighbours are those around where it would sort; anything
 * else is matched by the longest common prefix, newest first on ties.
 */
export function closestVersions(releases: Release[], version: string, count = 3): string[] {
  const versions = releases.map((r) => r.version);
  if (valid(version)) {
    const at = versions.findIndex((v) => compare(v, version) >= 0);
    let lo = (at === -1 ? versions.length : at) - 1;
    let hi = at === -1 ? versions.length : at;
    const near: number[] = [];
    // Alternate below and above the gap, so both sides of a typo show up.
    while (near.length < count && (lo >= 0 || hi < versions.length)) {
      if (lo >= 0) near.push(lo--);
      if (near.length < count && hi < versions.length) near.push(hi++);
    }
    return near.sort((a, b) => a - b).map((i) => versions[i] as string);
  }
  const shared = (v: string) => {
    let n = 0;
    while (n < v.length && v[n] === version[n]) n++;
    return n;
  };
  return versions
    .map((v, i) => ({ v, i, n: shared(v) }))
    .sort((a, b) => b.n - a.n || b.i - a.i)
    .slice(0, count)
    .sort((a, b) => a.i - b.i)
    .map((x) => x.v);
}

/**
 * The moment the release appeared on the index: its earliest file upload. "Dependencies as they
 * stood then" (uv --exclude-newer) must not count files added later, such as wheels built after.
 */
export function uploadCutoff(release: Release): string | undefined {
  return release.uploadedAt;
}
