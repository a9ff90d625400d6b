import { eq, valid } from "@renovatebot/pep440";
import type { FetchOptions } from "./index-page.js";
import { listProjectFiles, type PackageSources, type ProjectFile, pythonAllowed } from "./pypi-files.js";
import { wheelFitsPython } from "./wheel-tags.js";

/**
 * The versions of `name` that no file of theirs lets install on `python`: each file's
 * Requires-Python excludes it. The index says so, so a bisect need not spend a cell (a lock, a
 * failed resolution) to learn it. Maps each such version to the Requires-Python it declares.
 * A version with no file listed is not counted here: what fails for it is for its cell to say.
 */
export async function versionsNotFor(
  name: string,
  versions: string[],
  python: string,
  sources: PackageSources,
  opts: FetchOptions = {},
): Promise<Map<string, string>> {
  const { files } = await listProjectFiles(name, sources, name, opts);
  const excluded = new Map<string, string>();
  for (const v of versions) {
    const own = filesOf(files, v);
    if (own.length > 0 && !own.some((f) => pythonAllowed(python, f.requiresPython))) {
      excluded.set(v, own.find((f) => f.requiresPython)?.requiresPython ?? "");
    }
  }
  return excluded;
}

/** A wheel's version is whatever its filename says; eq() throws on one that is not PEP 440. */
const filesOf = (files: ProjectFile[], version: string) => files.filter((f) => valid(f.version) && eq(f.version, version));

/**
 * A minor version ("3.9") stands for its patch releases: a release allows it when it allows the
 * first or a late one (">=3.6.1" still allows Python 3.6, "<3.9.5" Python 3.9).
 */
const allowsMinor = (minor: string, spec: string | undefined) => pythonAllowed(`${minor}.0`, spec) || pythonAllowed(`${minor}.99`, spec);

/**
 * Why the release's own files exclude Python `minor` ("3.9"), or undefined when some file would
 * install there: every file's Requires-Python excludes it, or the release has no sdist and none
 * of its wheels is tagged for that Python (whatever the platform: that is the cell's to find).
 */
export function exclusionOf(files: ProjectFile[], minor: string): string | undefined {
  if (files.length === 0) return undefined;
  const allowed = files.filter((f) => allowsMinor(minor, f.requiresPython));
  if (allowed.length === 0) return `Requires-Python ${files.find((f) => f.requiresPython)?.requiresPython ?? "?"}`;
  if (allowed.some((f) => f.kind === "sdist")) return undefined;
  if (allowed.some((f) => wheelFitsPython(f.filename, minor))) return undefined;
  const tags = [...new Set(allowed.map((f) => f.filename.split("-").slice(-3, -1).join("-")))].slice(0, 4);
  return `no wheel for Python ${minor} (only ${tags.join(", ")}) and no sdist`;
}

/**
 * Which of `pythons` (minor versions) each of `versions` of `name` excludes by its own metadata:
 * version → Python → why. One index page per project, whatever the number of versions.
 */
export async function pythonExclusions(
  name: string,
  versions: string[],
  pythons: string[],
  sources: PackageSources,
  opts: FetchOptions = {},
): Promise<Map<string, Map<string, string>>> {
  const { files } = await listProjectFiles(name, sources, name, opts);
  const out = new Map<string, Map<string, string>>();
  for (const v of versions) {
    const own = filesOf(files, v);
    const why = new Map<string, string>();
    for (const python of pythons) {
      const reason = exclusionOf(own, python);
      if (reason) why.set(python, reason);
    }
    if (why.size > 0) out.set(v, why);
  }
  return out;
}
