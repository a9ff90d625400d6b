import { eq, gte } from "@renovatebot/pep440";
import { type Cell, envKey, envOf, filterTerms, versionOf } from "../cell/cell.js";
import { type Outcome, showing } from "../cell/outcome.js";
import type { CellRecord } from "../cell/record.js";
import type { Scenario } from "../config/schema.js";
import { ConfigError } from "../core/errors.js";
import { normalizeName } from "../core/package-name.js";
import { type PreparedEnv, prepareEnv } from "../envs/prepare-env.js";
import { axisPackage, expandCells } from "../plan/expand.js";
import { parseOnly } from "../plan/filter.js";
import { sourcesOfIndex } from "../releases/pypi-files.js";
import { versionsNotFor } from "../releases/python-support.js";
import { listReleases, selectReleases } from "../releases/releases.js";
import { resolveVersions } from "../releases/versions.js";
import { loadApps } from "../run/fixtures.js";
import { choosePythons } from "../run/python-plan.js";
import { installFailedRecord, runCell } from "../run/run-cell.js";
import { RunSession } from "../run/session.js";
import type { RuntimeChoice } from "../runtimes/registry.js";
import { type BisectResult, bisect, formatTrail, type Verdict } from "./search.js";
import { brief, summaryLines } from "./summary.js";

export interface BisectRunOptions {
  scenario: Scenario;
  configFile: string;
  /** --only syntax; must leave exactly one cell per version of the bisected package. */
  where: string;
  /** The package whose versions are searched; default: the claim's, else the one that varies, else the anchor. */
  package?: string | undefined;
  /** A PEP 440 range or "all"; default: the scenario's own versions of the package. */
  versions?: string;
  runtime: RuntimeChoice;
  cacheDir: string;
  crossCheck: boolean;
  /**
   * --affected: a version known to reproduce. It is tested first; when the ends agree with each other but not with
   * it, the search bisects on both sides of it, so a bug that came and went is found even where no sample lands.
   */
  affected?: string;
  signal: AbortSignal;
  /** Progress and the final summary, a line at a time. */
  say: (line: string) => void;
}

/**
 * The claim's question, "does the signature appear?", as a search verdict. A server that booted
 * and was probed without the signature counts as clean even when it failed otherwise: the
 * signature is what the claim is about, and the transition lines say each side's real outcome.
 * A cell that could not be tested (no env, no boot, timeout) is skipped like `git bisect skip`.
 */
export function verdictOf(outcome: Outcome): Verdict {
  const shown = showing({ outcome });
  return shown === "affected" ? "affected" : shown === "untested" ? "untestable" : "clean";
}

/** The configuration to search: one cell per candidate version of the bisected package. */
interface SearchSpace {
  byVersion: Map<string, Cell>;
  /** The candidates that have a cell, in PEP 440 order. */
  ordered: string[];
  /** The package searched. */
  pkg: string;
  /** Under era (each version on its own Python): the candidates that allow no Python this runtime has. */
  noPython?: string[];
}

/** The options with the package searched decided. */
type Searched = BisectRunOptions & { package: string };

/**
 * Find, for one configuration, the versions where the outcome changes, testing O(log n)
 * versions: endpoints, midpoints (whose next envs are prepared while the current one runs),
 * and both sides of each boundary again; when the ends agree, samples between them first (the
 * claim's first fixed release, the one before it, a spread). Ends with the commands that
 * reproduce each side, and every stretch it did not test, as not settled.
 */
export async function runBisect(
  o: BisectRunOptions,
): Promise<{ result: BisectResult<string>; records: Map<string, CellRecord>; skipped: Map<string, string> }> {
  // Under era each version's Python is chosen among the interpreters the runtime has: the space
  // is planned once the runtime is open (a --where that pins python is a plain search on it).
  const era = o.scenario.pythonPolicy === "era" && !/(^|[,\s])python=/.test(o.where);
  const space = era ? undefined : await searchSpace(o);
  await using session = await RunSession.open(o);
  try {
    const planned = space ?? (await searchSpace(o, session));
    return await searchWith(session, planned, { ...o, package: planned.pkg });
  } catch (err) {
    throw session.failure(err);
  }
}

/**
 * The candidate versions (the scenario's, or --versions from the index) and the one cell of each
 * that --where leaves; with an open session (era), each version's cell is on its era Python.
 */
async function searchSpace(o: BisectRunOptions, session?: RunSession): Promise<SearchSpace> {
  const s = o.scenario;
  if (o.package !== undefined && !(o.package in s.packages))
    throw new ConfigError(`bisect: --package ${o.package} is not a package axis of ${o.configFile}`);
  const versions = await resolveVersions(s, { file: o.configFile, signal: o.signal });
  const pkg = o.package ?? axisPackage(s, versions);
  if (o.versions) {
    let picked: string[];
    try {
      picked = selectReleases(await listReleases(pkg, { sources: sourcesOfIndex(s.index), signal: o.signal }), o.versions, s.releases).map(
        (r) => r.version,
      );
    } catch (err) {
      throw new ConfigError(`bisect: --versions: ${(err as Error).message}`);
    }
    versions[pkg] = picked;
  }
  const candidates = versions[pkg] ?? [];
  if (candidates.length < 2)
    throw new ConfigError(`bisect: ${pkg} has ${candidates.length} version(s) to search; give --versions a wider range`);
  const all = expandCells(s, versions);
  const planned = session ? (await choosePythons(s, versions, all, session, o.configFile)).passes.first() : all;
  const cells = planned.filter(parseOnly(o.where, Object.keys(versions)));
  const byVersion = new Map<string, Cell>();
  for (const c of cells) {
    const v = versionOf(c, pkg);
    if (byVersion.has(v))
      throw new ConfigError(`bisect: --where "${o.where}" leaves several cells per version; pin ${varyingAxes(cells, pkg)}`);
    byVersion.set(v, c);
  }
  const ordered = candidates.filter((v) => byVersion.has(v));
  if (ordered.length < 2) throw new ConfigError(`bisect: --where "${o.where}" matches no configuration of ${o.configFile}`);
  if (o.affected !== undefined && positionOf(ordered, o.affected) === undefined)
    throw new ConfigError(
      `bisect: --affected ${o.affected} is not one of the ${ordered.length} ${pkg} versions searched (${ordered[0]} to ${ordered.at(-1)}); widen --versions`,
    );
  // Under era, a version with no cell allows none of the Pythons there are: said, at no cost.
  return { byVersion, ordered, pkg, ...(session ? { noPython: candidates.filter((v) => !byVersion.has(v)) } : {}) };
}

/** The search itself, on an open session: skip what Requires-Python excludes, then bisect with a cell per tested version. */
async function searchWith(session: RunSession, { byVersion, ordered, noPython }: SearchSpace, o: Searched) {
  const s = o.scenario;
  const pkg = o.package;
  const { runtime, signal } = session;
  const ctx = await session.envContext();
  // Releases that cannot install on the cell's Python, by their own Requires-Python, would
  // each cost a test to learn what the index already says. (Under era each has its own Python,
  // chosen among those it allows.)
  const interp = await ctx.backend.interpreter(envOf(byVersion.get(ordered[0] as string) as Cell, s));
  const skipped = noPython
    ? new Map(noPython.map((v) => [v, "no Python here it allows"]))
    : interp.ok
      ? await versionsNotFor(pkg, ordered, interp.facts.python, sourcesOfIndex(s.index), { signal, cache: session.index })
      : new Map<string, string>();
  const searched = ordered.filter((v) => !skipped.has(v));
  const python =
    new Set([...byVersion.values()].map((c) => c.python)).size > 1 ? "each version's era Python" : interp.ok ? interp.facts.python : "";
  if (searched.length < 2)
    throw new ConfigError(
      `bisect: only ${searched.length} of ${ordered.length} ${pkg} versions install on Python ${python} (${skippedSummary(skipped)}); search another Python`,
    );
  o.say(
    `bisect ${pkg} over ${searched.length} versions (${searched[0]} to ${searched.at(-1)}) on the ${runtime.name} runtime${session.note ? ` (${session.note})` : ""}`,
  );
  if (skipped.size > 0)
    o.say(
      noPython
        ? `not searched, no Python here that they allow: ${skippedSummary(skipped)}`
        : `not searched, their Requires-Python excludes Python ${python}: ${skippedSummary(skipped)}`,
    );
  const start = o.affected === undefined ? undefined : positionOf(searched, o.affected);
  if (o.affected !== undefined && start === undefined)
    throw new ConfigError(
      `bisect: --affected ${o.affected} does not install on Python ${python} (Requires-Python ${skipped.get(o.affected) ?? "?"})`,
    );
  const hints = claimHints(s, pkg, searched);
  const apps = await loadApps(s);
  const envs = new Map<string, Promise<PreparedEnv>>();
  const envFor = (v: string) => {
    const spec = envOf(byVersion.get(v) as Cell, s);
    const p = envs.get(envKey(spec)) ?? prepareEnv(spec, ctx);
    envs.set(envKey(spec), p);
    return p;
  };
  const records = new Map<string, CellRecord>();
  const result = await session.until(
    bisect({
      versions: searched,
      signal,
      crossCheck: o.crossCheck,
      ...(start !== undefined && { start }),
      hints,
      // Build the next possible midpoints' envs while this version's server runs.
      prepare: (v) => void envFor(v).catch(() => undefined),
      test: async (v, signal) => {
        const cell = byVersion.get(v) as Cell;
        const env = await envFor(v);
        const record = env.ok
          ? await runCell({ cell, scenario: s, env, runtime, apps, signal })
          : installFailedRecord(cell, s, env, runtime);
        records.set(v, record);
        return verdictOf(record.outcome);
      },
      onStep: (step) => {
        const r = records.get(step.version);
        o.say(`${formatTrail([step], String)[0]}  ${r?.outcome ?? ""}: ${brief(r?.reason ?? "")}`);
      },
    }),
  );
  const hinted = hints.map((i) => searched[i]!);
  const affected = start === undefined ? undefined : searched[start];
  for (const line of summaryLines({ ...o, result, records, searched, hinted, byVersion, ...(affected !== undefined && { affected }) }))
    o.say(line);
  return { result, records, skipped };
}

/** Versions grouped by the Requires-Python they declare: `>=3.10: 0.40.0 … 0.54.0 (21 versions)`. */
export function skippedSummary(skipped: Map<string, string>): string {
  const bySpec = new Map<string, string[]>();
  for (const [v, spec] of skipped) bySpec.set(spec, [...(bySpec.get(spec) ?? []), v]);
  return [...bySpec]
    .map(([spec, vs]) => `${spec || "(none)"}: ${vs.length === 1 ? vs[0] : `${vs[0]} … ${vs.at(-1)} (${vs.length} versions)`}`)
    .join("; ");
}

/** The axes that still take several values among the cells of one version: what --where must pin. */
function varyingAxes(cells: Cell[], pkg: string): string {
  const terms = cells.map(filterTerms);
  const fields = [...new Set(terms.flatMap((t) => Object.keys(t)))].filter((f) => f !== pkg);
  return fields
    .map((f) => [f, [...new Set(terms.map((t) => t[f] ?? ""))]] as const)
    .filter(([, values]) => values.length > 1)
    .map(([f, values]) => `${f} (${values.join(", ")})`)
    .join(", ");
}

/** Where `version` is in `versions`, by PEP 440 equality (so 0.30 finds 0.30.0). */
function positionOf(versions: string[], version: string): number | undefined {
  const i = versions.findIndex((v) => eq(v, version));
  return i === -1 ? undefined : i;
}

/**
 * The claim's first fixed release and the one before it, as positions in `searched`: where a claim about the
 * bisected package is most likely wrong, so they are sampled first when the ends agree.
 */
function claimHints(s: Scenario, pkg: string, searched: string[]): number[] {
  if (!s.claim || normalizeName(s.claim.package) !== normalizeName(pkg)) return [];
  const firstFixed = s.claim.firstFixed;
  const at = searched.findIndex((v) => gte(v, firstFixed));
  return (at === -1 ? [] : [at, at - 1]).filter((i) => i >= 0);
}
