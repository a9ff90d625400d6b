import { type Cell, envKey, envOf } from "../cell/cell.js";
import type { Outcome } from "../cell/outcome.js";
import type { CellRecord } from "../cell/record.js";
import type { Scenario } from "../config/schema.js";
import { ConfigError } from "../core/errors.js";
import { type PreparedEnv, prepareEnv } from "../envs/prepare-env.js";
import { expandCells } from "../plan/expand.js";
import { parseOnly } from "../plan/filter.js";
import { sourcesOfIndex } from "../releases/pypi-files.js";
import { versionsNotFor } from "../releases/python-support.js";
import { listReleases, selectReleases } from "../releases/releases.js";
import { resolveVersions } from "../releases/versions.js";
import { loadFixtureApps } from "../run/fixtures.js";
import { choosePythons } from "../run/python-plan.js";
import { installFailedRecord, runCell } from "../run/run-cell.js";
import { RunSession } from "../run/session.js";
import type { RuntimeChoice } from "../runtimes/registry.js";
import { type BisectResult, bisect, formatTrail, type Verdict } from "./search.js";

export interface BisectRunOptions {
  scenario: Scenario;
  configFile: string;
  /** --only syntax; must leave exactly one cell per version of the bisected package. */
  where: string;
  /** The package whose versions are searched (default uvicorn). */
  package: string;
  /** A PEP 440 range or "all"; default: the scenario's own versions of the package. */
  versions?: string;
  runtime: RuntimeChoice;
  cacheDir: string;
  crossCheck: boolean;
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
  if (outcome === "reproduced") return "affected";
  if (outcome === "clean" || outcome === "other-failure") return "clean";
  return "untestable";
}

/** The configuration to search: one cell per candidate version of the bisected package. */
interface SearchSpace {
  byVersion: Map<string, Cell>;
  /** The candidates that have a cell, in PEP 440 order. */
  ordered: string[];
  /** Under era (each version on its own Python): the candidates that allow no Python this runtime has. */
  noPython?: string[];
}

/**
 * Find, for one configuration, the versions where the outcome changes, testing O(log n)
 * versions: endpoints, midpoints (whose next envs are prepared while the current one runs),
 * and both sides of each boundary again. Ends with the commands that reproduce each side.
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
    return await searchWith(session, space ?? (await searchSpace(o, session)), o);
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
  const pkg = o.package;
  if (!(pkg in s.packages)) throw new ConfigError(`bisect: --package ${pkg} is not a package axis of ${o.configFile}`);
  const versions = await resolveVersions(s, { file: o.configFile, signal: o.signal });
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
  // Under era, a version with no cell allows none of the Pythons there are: said, at no cost.
  return { byVersion, ordered, ...(session ? { noPython: candidates.filter((v) => !byVersion.has(v)) } : {}) };
}

/** The search itself, on an open session: skip what Requires-Python excludes, then bisect with a cell per tested version. */
async function searchWith(session: RunSession, { byVersion, ordered, noPython }: SearchSpace, o: BisectRunOptions) {
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
  const apps = await loadFixtureApps(s.apps);
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
  for (const line of summary(result, records, searched.length, o, byVersion)) o.say(line);
  return { result, records, skipped };
}

function summary(
  result: BisectResult<string>,
  records: Map<string, CellRecord>,
  n: number,
  o: BisectRunOptions,
  byVersion: Map<string, Cell>,
): string[] {
  const bound = 2 * Math.ceil(Math.log2(n)) + 4;
  const lines = [
    "",
    `${result.tested} cells run for ${n} versions (bisection bound 2·⌈log2 n⌉+4 = ${bound})${result.widened ? "; outcomes were not monotonic, so the search widened to a scan" : ""}`,
  ];
  if (result.transitions.length === 0) {
    const testable = result.steps.filter((st) => st.verdict !== "untestable").sort((a, b) => a.index - b.index);
    const [low, high] = [testable[0], testable.at(-1)];
    if (!low || !high) lines.push("no transition found: no version could be tested (see the trail for why)");
    else
      lines.push(
        `no transition: the lowest and highest testable versions agree (${low.version}: ${records.get(low.version)?.outcome}, ${high.version}: ${records.get(high.version)?.outcome}); the versions between are assumed to as well`,
      );
  }
  for (const t of result.transitions) {
    const side = (v: string) => `${v} (${records.get(v)?.outcome}: ${brief(records.get(v)?.reason ?? "")})`;
    lines.push(`transition: ${t.from} → ${t.to} between ${side(t.lastBefore)} and ${side(t.firstAfter)}`);
    if (t.untestableBetween.length > 0)
      lines.push(`  ${t.untestableBetween.length} version(s) in between gave no verdict: ${t.untestableBetween.join(", ")}`);
    for (const v of [t.lastBefore, t.firstAfter])
      lines.push(
        `  reproduce ${v}: repro-matrix run --config ${o.configFile} --runtime ${o.runtime} --set ${o.package}=${v} --only "${onlyTerms(byVersion.get(v) as Cell)}"`,
      );
  }
  return lines;
}

/** Versions grouped by the Requires-Python they declare: `>=3.10: 0.40.0 … 0.54.0 (21 versions)`. */
export function skippedSummary(skipped: Map<string, string>): string {
  const bySpec = new Map<string, string[]>();
  for (const [v, spec] of skipped) bySpec.set(spec, [...(bySpec.get(spec) ?? []), v]);
  return [...bySpec]
    .map(([spec, vs]) => `${spec || "(none)"}: ${vs.length === 1 ? vs[0] : `${vs[0]} … ${vs.at(-1)} (${vs.length} versions)`}`)
    .join("; ");
}

/** Reasons can quote a whole traceback line; a trail line needs only its start. */
const brief = (reason: string) => (reason.length > 120 ? `${reason.slice(0, 119)}…` : reason);

const versionOf = (c: Cell, pkg: string) => (pkg === "uvicorn" ? c.uvicorn : pkg === "gunicorn" ? c.gunicorn : (c.extras?.[pkg] ?? ""));

/** The axes that still take several values among the cells of one version: what --where must pin. */
function varyingAxes(cells: Cell[], pkg: string): string {
  const fields = ["python", "gunicorn", "uvicorn", "workerClass", "preload", "app", "workers"] as const;
  const varying = fields.filter((f) => f !== pkg && new Set(cells.map((c) => String(c[f]))).size > 1);
  return varying.map((f) => `${f} (${[...new Set(cells.map((c) => String(c[f])))].join(", ")})`).join(", ");
}

/** The --only terms that select exactly this cell. */
export function onlyTerms(c: Cell): string {
  return [
    `python=${c.python}`,
    `gunicorn=${c.gunicorn}`,
    `uvicorn=${c.uvicorn}`,
    ...Object.entries(c.extras ?? {}).map(([n, v]) => `${n}=${v}`),
    `workerClass=${c.workerClass}`,
    `preload=${c.preload}`,
    `app=${c.app}`,
    `workers=${c.workers}`,
  ].join(",");
}
