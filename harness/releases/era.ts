import type { AxisVersions } from "../cell/cell.js";
import type { Scenario } from "../config/schema.js";
import { ConfigError } from "../core/errors.js";
import { normalizeName } from "../core/package-name.js";
import { pinKey } from "../plan/pythons.js";
import { byPythonVersion, CPYTHON_RELEASES } from "./cpython-releases.js";
import type { FetchOptions } from "./index-page.js";
import { sourcesOfIndex } from "./pypi-files.js";
import { pythonExclusions } from "./python-support.js";
import { listReleases, releaseOf } from "./releases.js";

/**
 * The Pythons one release is tried on, in order. First its era Python: the newest of `allowed`
 * (Pythons it does not exclude) released before it was, the one its users ran; a release known
 * only by name (no upload time) counts as new. Then, for a release no cell could test there, the
 * older ones (newest first: still of its day), then the newer ones (oldest first). When every
 * allowed Python came after the release, the oldest of them is the nearest to its day.
 */
export function eraOrder(uploadedAt: string | undefined, allowed: string[], dates = CPYTHON_RELEASES): string[] {
  const sorted = [...allowed].sort(byPythonVersion);
  const day = uploadedAt?.slice(0, 10) ?? "9999-12-31";
  const before = sorted.filter((p) => (dates[p] ?? "9999-12-31") <= day);
  const after = sorted.filter((p) => !before.includes(p));
  return [...before.reverse(), ...after];
}

/** What the releases of a matrix say about the Pythons it lists, before any env is built. */
export interface PythonPlan {
  /** `python: era`'s package (the claim's, else the anchor); absent when every cell runs on every listed Python. */
  eraPackage?: string;
  /** Per version of eraPackage: the Pythons to try, era first (see eraOrder). Empty without `era`. */
  order: Map<string, string[]>;
  /** Per version of the claim's package (or anchor), its era Python among the candidates, in either mode. */
  era: Map<string, string>;
  /** `name==version` (name normalized) → Python → why the release's own metadata excludes that Python. */
  excluded: Map<string, Map<string, string>>;
}

/**
 * Exclusions of every package axis, and each release's Pythons in era order. `candidates`: the
 * Pythons a run can use (listed and with an interpreter); the era order and era Python are
 * chosen among them. Each candidate needs a release date (CPYTHON_RELEASES).
 */
export async function planPythons(
  s: Scenario,
  versions: AxisVersions,
  candidates: string[],
  opts: FetchOptions & { file?: string } = {},
): Promise<PythonPlan> {
  const sources = sourcesOfIndex(s.index);
  const listed = Object.keys(s.python);
  const undated = listed.find((p) => !(p in CPYTHON_RELEASES));
  const eraMode = s.pythonPolicy === "era";
  if (eraMode && undated)
    throw new ConfigError(
      `${opts.file ?? "matrix.yaml"}: pythonPolicy: era needs the release date of Python ${undated}, which harness/releases/cpython-releases.ts does not list yet`,
    );
  const excluded = new Map<string, Map<string, string>>();
  for (const [name, vs] of Object.entries(versions)) {
    for (const [v, why] of await pythonExclusions(name, vs, listed, sources, opts)) excluded.set(pinKey(name, v), why);
  }
  const eraPackage = Object.keys(versions).find((n) => normalizeName(n) === normalizeName(s.claim?.package ?? s.resolution.anchor));
  const order = new Map<string, string[]>();
  const era = new Map<string, string>();
  if (!eraPackage) return { order, era, excluded };
  const releases = await listReleases(eraPackage, { sources, ...opts });
  for (const v of versions[eraPackage] ?? []) {
    const uploadedAt = releaseOf(releases, v)?.uploadedAt;
    const allowed = candidates.filter((p) => !excluded.get(pinKey(eraPackage, v))?.has(p) && p in CPYTHON_RELEASES);
    const tries = eraOrder(uploadedAt, allowed);
    if (eraMode) order.set(v, tries);
    // Without an upload time a release's day is unknown: no era Python to name for the report.
    if (tries[0] && uploadedAt) era.set(v, tries[0]);
  }
  return { ...(eraMode ? { eraPackage } : {}), order, era, excluded };
}
