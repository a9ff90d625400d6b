import { stat, statfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type Check, describeError, errorCode, fail, ok, warn } from "../core/check.js";

export const GiB = 1024 ** 3;
/** Below this an env build or a base image import is likely to fail half-way. */
export const FAIL_BELOW = 2 * GiB;
/** Below this a full matrix (an env image or venv per Python × release) may not fit. */
export const WARN_BELOW = 10 * GiB;

/** A folder the harness writes to, and how to make room there. */
export interface Place {
  label: string;
  path: string;
  fix: string;
}

export const cachePlace = (cacheDir: string): Place => ({
  label: cacheDir,
  path: cacheDir,
  fix: `rm -rf ${cacheDir}/venvs ${cacheDir}/files (made again when needed), or --cache-dir on a larger disk`,
});

/** The verdict for one filesystem by its free bytes: fail below 2 GiB, warn below 10 GiB. */
export function diskCheck(places: Place[], freeBytes: number): Check {
  const name = "disk";
  const detail = `${formatGiB(freeBytes)} free for ${places.map((p) => p.label).join(" and ")}`;
  const fix = places.map((p) => p.fix).join("; ");
  if (freeBytes < FAIL_BELOW) return fail(name, `${detail} (needs ${formatGiB(FAIL_BELOW)})`, fix);
  if (freeBytes < WARN_BELOW) return warn(name, `${detail} (a full matrix wants ${formatGiB(WARN_BELOW)})`, fix);
  return ok(name, detail);
}

export const formatGiB = (bytes: number) => `${(bytes / GiB).toFixed(bytes < 10 * GiB ? 1 : 0)} GiB`;

/** One line per filesystem: the cache and Docker's data root are often on the same one. */
export async function checkDisk(places: Place[], signal: AbortSignal): Promise<Check[]> {
  const byDevice = new Map<string, { places: Place[]; free: number }>();
  const checks: Check[] = [];
  for (const place of places) {
    signal.throwIfAborted();
    try {
      // The cache may not exist yet: what counts is the filesystem it will be made on.
      const existing = await nearestExisting(resolve(place.path));
      const [fs, st] = await Promise.all([statfs(existing), stat(existing)]);
      const key = String(st.dev);
      const seen = byDevice.get(key);
      if (seen) seen.places.push(place);
      else byDevice.set(key, { places: [place], free: fs.bavail * fs.bsize });
    } catch (err) {
      checks.push(warn("disk", `cannot read the free space for ${place.label} (${describeError(err)})`));
    }
  }
  return [...[...byDevice.values()].map((d) => diskCheck(d.places, d.free)), ...checks];
}

async function nearestExisting(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try {
      await stat(p);
      return p;
    } catch (err) {
      if (errorCode(err) !== "ENOENT" || dirname(p) === p) throw err;
    }
  }
}
