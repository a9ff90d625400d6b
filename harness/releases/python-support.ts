import { eq, valid } from "@renovatebot/pep440";
import type { FetchOptions } from "./index-page.js";
import { listProjectFiles, type PackageSources, pythonAllowed } from "./pypi-files.js";

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
    // A wheel's version is whatever its filename says; eq() throws on one that is not PEP 440.
    const own = files.filter((f) => valid(f.version) && eq(f.version, v));
    if (own.length > 0 && !own.some((f) => pythonAllowed(python, f.requiresPython))) {
      excluded.set(v, own.find((f) => f.requiresPython)?.requiresPython ?? "");
    }
  }
  return excluded;
}
