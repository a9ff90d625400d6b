import type { AxisVersions } from "../cell/cell.js";
import type { Scenario } from "../config/schema.js";
import { ConfigError } from "../core/errors.js";
import type { IndexCache } from "./index-page.js";
import { sourcesOfIndex } from "./pypi-files.js";
import { closestVersions, listReleases, releaseOf, selectReleases } from "./releases.js";

/**
 * Turn each package axis into concrete versions: `all` and ranges from the index's release list
 * (PEP 440 order, yanked and pre-releases out unless `releases` says otherwise), explicit
 * versions checked to exist, so a typo is a config error before any image is built.
 */
export async function resolveVersions(
  s: Scenario,
  opts: { file?: string; signal?: AbortSignal; cache?: IndexCache } = {},
): Promise<AxisVersions> {
  const where = opts.file ?? "matrix.yaml";
  const sources = sourcesOfIndex(s.index);
  const out: AxisVersions = {};
  for (const [name, axis] of Object.entries(s.packages)) {
    const releases = await listReleases(name, {
      sources,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.cache ? { cache: opts.cache } : {}),
    });
    const field = `packages.${name}`;
    if ("select" in axis && axis.select !== undefined) {
      let picked: string[];
      try {
        picked = selectReleases(releases, axis.select, s.releases).map((r) => r.version);
      } catch (err) {
        throw new ConfigError(`${where}: ${field}: ${(err as Error).message}`);
      }
      if (picked.length === 0) {
        const span = releases.length > 0 ? ` (the index has ${releases[0]?.version} to ${releases.at(-1)?.version})` : "";
        throw new ConfigError(`${where}: ${field}: "${axis.select}" matches no release of ${name}${span}`);
      }
      out[name] = picked;
      continue;
    }
    for (const version of axis.versions) {
      if (releaseOf(releases, version)) continue;
      const near = closestVersions(releases, version);
      const hint = releases.length === 0 ? `no project ${name} on the index` : `closest: ${near.join(", ")}`;
      throw new ConfigError(`${where}: ${field}: ${version} is not a release of ${name} (${hint})`);
    }
    out[name] = axis.versions;
  }
  return out;
}
