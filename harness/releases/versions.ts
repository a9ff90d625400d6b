import { compare } from "@renovatebot/pep440";
import type { AxisVersions } from "../cell/cell.js";
import type { Scenario } from "../config/schema.js";
import { ConfigError } from "../core/errors.js";
import { normalizeName } from "../core/package-name.js";
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
  claimIsTested(s, out, where);
  return out;
}

/**
 * The claimed first fixed release must be among the versions a range or `all` expanded to (an
 * explicit list is checked at load): otherwise the verdict would be about a version no cell ran.
 */
function claimIsTested(s: Scenario, versions: AxisVersions, where: string): void {
  if (!s.claim) return;
  const { firstFixed } = s.claim;
  const name = Object.keys(s.packages).find((n) => normalizeName(n) === normalizeName(s.claim?.package ?? ""));
  const axis = name === undefined ? undefined : s.packages[name];
  if (name === undefined || !axis || !("select" in axis)) return;
  const picked = versions[name] ?? [];
  if (picked.some((v) => compare(v, firstFixed) === 0)) return;
  throw new ConfigError(
    `${where}: claim.firstFixed: ${firstFixed} is not among the releases packages.${name} selects ("${axis.select}": ${picked[0]} to ${picked.at(-1)}, ${picked.length} releases); the claimed first fixed release must be tested`,
  );
}
