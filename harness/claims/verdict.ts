import { compare, gt, gte, lt } from "@renovatebot/pep440";
import { argsText, cellId, envText, packageEntries, shortClass, versionOf } from "../cell/cell.js";
import type { CellRecord } from "../cell/record.js";
import { normalizeName } from "../core/package-name.js";
import type { Claim, ResultsFile } from "../store/results-file.js";
import { type CompatRow, claimCells, compatRows, firstCleanVersion } from "./compat.js";
import { failureFingerprint } from "./fingerprint.js";
import { type Symptom, symptomOf } from "./symptom.js";

/** The measured boundary of one configuration that matches the claim's trigger. */
export interface ConfigVerdict {
  /** e.g. "Python 3.9 · UvicornWorker · --preload · import-time-loop" */
  label: string;
  python: string;
  workerClass: string;
  preload: boolean;
  app: string;
  /** Newest version whose cells reproduced the symptom (symptomOf). */
  lastAffected?: string;
  /** Oldest version after lastAffected that ran without the symptom (clean or failing otherwise). */
  firstWithout?: string;
  /** Oldest version from which every tested version is clean. */
  firstClean?: string;
  /** Versions between lastAffected and firstWithout that could not be tested. */
  untestedBetween: string[];
  /** Runs of consecutive versions that failed without the symptom, with the fingerprint they share. */
  affectedDifferently: { from: string; to: string; fingerprint: string }[];
}

export type VerdictStatus = "confirmed" | "refuted" | "not-reproduced" | "not-settled";

export interface ClaimVerdict {
  status: VerdictStatus;
  /** The one sentence a report opens with. */
  sentence: string;
  configs: ConfigVerdict[];
  /**
   * With several Pythons listed and each release's era Python known: the configurations of cells
   * on their release's era Python (the Python its users ran), whose boundary the sentence states.
   */
  eraConfigs?: ConfigVerdict[];
  /** Over all trigger configurations: the newest affected version and the first without the symptom after it. */
  lastAffected?: string;
  firstWithout?: string;
  untestedBetween: string[];
}

/** The claim's verdict as the results stand; undefined when the scenario states no claim. */
export function claimVerdict(r: ResultsFile): ClaimVerdict | undefined {
  if (!r.claim) return undefined;
  const relevant = claimCells(r);
  const pkg = r.claim.package;
  // Under era the Python follows the release: a configuration spans every release, on its Python.
  const era = r.pythonPolicy === "era";
  const configs = [...Map.groupBy(relevant, configKey(pkg, era)).values()].map((cells) =>
    configVerdict(cells, labeller(relevant, pkg, era), pkg),
  );
  const eraConfigs = era ? [] : eraConfigsOf(r, relevant, pkg);
  const symptom = symptomOf(r.claim, relevant);
  const verdict = overall(r.claim, symptom, compatRows(relevant, {}, pkg), configs, relevant.length);
  const clause = eraClause(r, symptom, relevant, eraConfigs, pkg);
  return {
    ...verdict,
    sentence: clause ? `${verdict.sentence.replace(/\.$/, "")}. ${clause}` : verdict.sentence,
    configs,
    ...(eraConfigs.length > 0 ? { eraConfigs } : {}),
  };
}

/** The cells on their release's era Python, as configurations, when the matrix lists several Pythons. */
function eraConfigsOf(r: ResultsFile, relevant: CellRecord[], pkg: string): ConfigVerdict[] {
  const era = r.eraPython ?? {};
  if (new Set(relevant.map((c) => c.python)).size < 2) return [];
  const onEra = relevant.filter((c) => era[versionOf(c, pkg)] === c.python);
  return [...Map.groupBy(onEra, configKey(pkg, true)).values()].map((cells) => configVerdict(cells, labeller(onEra, pkg, true), pkg));
}

/**
 * The boundary on each release's era Python, and whether it differs on each single Python that
 * showed the symptom: "On each release's era Python (3.7 for 0.2.0–0.11.5, …), … last appears
 * in 0.3.32 and is absent from 0.5.2; on Python 3.9 it last appears in 0.3.32 and is absent from
 * 0.11.3: a different boundary." Empty when there is nothing to compare.
 */
function eraClause(r: ResultsFile, symptom: Symptom, relevant: CellRecord[], eraConfigs: ConfigVerdict[], pkg: string): string {
  if (eraConfigs.length === 0 || !r.claim) return "";
  const era = r.eraPython ?? {};
  // A second sentence: the overall one named the symptom in full already.
  const sig = symptom.again;
  const onEra = relevant.filter((c) => era[versionOf(c, pkg)] === c.python);
  const said = (b: Boundary) =>
    !b.lastAffected
      ? "never appears"
      : `last appears in ${b.lastAffected} and ${b.firstWithout ? `is absent from ${b.firstWithout}` : "no later version could be tested"}${b.untestedBetween.length > 0 ? ` (${b.untestedBetween.join(", ")} untestable between)` : ""}`;
  const eraBoundary = boundaryOf(compatRows(onEra, {}, pkg));
  const same = (b: Boundary) => b.lastAffected === eraBoundary.lastAffected && b.firstWithout === eraBoundary.firstWithout;
  const pythons = [...new Set(relevant.map((c) => c.python))].sort(compare);
  const others = pythons.flatMap((py) => {
    const b = boundaryOf(
      compatRows(
        relevant.filter((c) => c.python === py),
        {},
        pkg,
      ),
    );
    if (!b.lastAffected) return [];
    return [`on Python ${py} it ${said(b)}: ${same(b) ? "the same boundary" : "a different boundary"}`];
  });
  return `On each release's era Python (${eraSpans(onEra, era, pkg)}), ${sig} ${said(eraBoundary)}${others.length > 0 ? `; ${others.join("; ")}` : ""}.`;
}

/** "3.7 for 0.2.0–0.11.5, 3.11 for 0.20.0": the era Python of each run of consecutive versions. */
function eraSpans(cells: CellRecord[], era: Record<string, string>, pkg: string): string {
  const versions = [...new Set(cells.map((c) => versionOf(c, pkg)))].sort(compare);
  const spans: { python: string; from: string; to: string }[] = [];
  for (const v of versions) {
    const python = era[v] as string;
    const last = spans.at(-1);
    if (last?.python === python) last.to = v;
    else spans.push({ python, from: v, to: v });
  }
  return spans.map((sp) => `${sp.python} for ${sp.from === sp.to ? sp.from : `${sp.from}–${sp.to}`}`).join(", ");
}

type Boundary = Pick<ConfigVerdict, "lastAffected" | "firstWithout" | "untestedBetween">;

/** Last version with the symptom, the first tested one after it without, and what lies untested between. */
export function boundaryOf(rows: CompatRow[]): Boundary {
  const tested = rows.filter((r) => r.status !== "Not testable" && r.status !== "Inconclusive");
  const lastAffected = tested.filter((r) => r.status === "Affected").at(-1)?.version;
  if (!lastAffected) return { untestedBetween: [] };
  const firstWithout = tested.find((r) => gt(r.version, lastAffected))?.version;
  const untestedBetween = rows
    .filter((r) => gt(r.version, lastAffected) && (!firstWithout || lt(r.version, firstWithout)))
    .map((r) => r.version);
  return { lastAffected, ...(firstWithout ? { firstWithout } : {}), untestedBetween };
}

function configVerdict(cells: CellRecord[], label: (c: CellRecord) => string, pkg: string): ConfigVerdict {
  const first = cells[0] as CellRecord;
  const rows = compatRows(cells, {}, pkg);
  const firstClean = firstCleanVersion(rows);
  return {
    label: label(first),
    python: first.python,
    workerClass: first.workerClass,
    preload: first.preload,
    app: first.app,
    ...boundaryOf(rows),
    ...(firstClean ? { firstClean } : {}),
    affectedDifferently: differentRuns(cells, rows, pkg),
  };
}

/**
 * Consecutive tested versions that failed without the symptom in the same way. A version that
 * could not be tested does not break a run (it says nothing); any other tested version does.
 */
function differentRuns(cells: CellRecord[], rows: CompatRow[], pkg: string): ConfigVerdict["affectedDifferently"] {
  const runs: ConfigVerdict["affectedDifferently"] = [];
  let open: (typeof runs)[number] | undefined;
  for (const row of rows) {
    if (row.status === "Not testable") continue;
    const print =
      row.status === "Affected differently" ? commonFingerprint(cells.filter((c) => versionOf(c, pkg) === row.version)) : undefined;
    if (print && open?.fingerprint === print) open.to = row.version;
    else {
      open = print ? { from: row.version, to: row.version, fingerprint: print } : undefined;
      if (open) runs.push(open);
    }
  }
  return runs;
}

/** The fingerprint most of a version's failing cells share. */
function commonFingerprint(cells: CellRecord[]): string {
  const counts = new Map<string, number>();
  for (const c of cells.filter((x) => x.outcome === "other-failure")) {
    const f = failureFingerprint(c) ?? c.reason;
    counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? "unknown";
}

function overall(
  claim: Claim,
  symptom: Symptom,
  rows: CompatRow[],
  configs: ConfigVerdict[],
  cellCount: number,
): Omit<ClaimVerdict, "configs" | "eraConfigs"> {
  const X = claim.firstFixed;
  const sig = symptom.named;
  const quote = `the claim "${claim.text}"`;
  const b = boundaryOf(rows);
  const tested = rows.filter((r) => r.status !== "Not testable" && r.status !== "Inconclusive");
  const done = (status: VerdictStatus, sentence: string) => ({ status, sentence: capitalize(sentence), ...b });
  if (tested.length === 0) return done("not-settled", `${quote} is not settled: no version could be tested (${cellCount} cells).`);
  if (!b.lastAffected)
    return done(
      "not-reproduced",
      `${quote} cannot be confirmed: ${sig} never appeared in ${cellCount} cells matching the trigger (${claim.package} ${tested[0]?.version} to ${tested.at(-1)?.version}), so there is no failure for ${X} to have fixed.`,
    );
  const still = configs.filter((c) => c.lastAffected && gte(c.lastAffected, X));
  if (still.length > 0)
    return done(
      "refuted",
      `${quote} is refuted: ${sig} still appears at or after ${X}, last in ${b.lastAffected} (${still.map((c) => c.label).join("; ")}).`,
    );
  const gap = b.untestedBetween.length > 0 ? ` (${b.untestedBetween.join(", ")} in between could not be tested)` : "";
  const differently = differentlyClause(configs, b.firstWithout);
  if (!b.firstWithout)
    return done(
      "not-settled",
      `${quote} is not settled: ${sig} last appears in ${b.lastAffected} and no later version could be tested${gap}.`,
    );
  if (lt(b.firstWithout, X))
    return done(
      "refuted",
      `${quote} is refuted: ${sig} last appears in ${b.lastAffected} and is already absent in ${b.firstWithout}, before ${X}${gap}; upgrading to ${X} or later does avoid it${differently}.`,
    );
  if (b.firstWithout === X && b.untestedBetween.length === 0)
    return done(
      "confirmed",
      `${quote} is confirmed: ${sig} appears up to ${b.lastAffected}, the release before ${X}, and never from ${X} on${differently}.`,
    );
  return done(
    "not-settled",
    `${quote} is consistent but not settled: ${sig} last appears in ${b.lastAffected} and first is absent in ${b.firstWithout}${gap}${differently}.`,
  );
}

/** "; the import-time-loop configurations fail differently from 0.11.3 to 0.39.0: RuntimeError: …", per fingerprint. */
function differentlyClause(configs: ConfigVerdict[], from: string | undefined): string {
  if (!from) return "";
  const runs = configs.flatMap((c) => c.affectedDifferently.filter((r) => gte(r.from, from)).map((r) => ({ ...r, config: c })));
  return [...Map.groupBy(runs, (r) => r.fingerprint).entries()]
    .map(([print, rs]) => {
      const start = rs.map((r) => r.from).sort(compare)[0] as string;
      const end = rs
        .map((r) => r.to)
        .sort(compare)
        .at(-1) as string;
      const span = start === end ? `in ${start}` : `from ${start} to ${end}`;
      const n = new Set(rs.map((r) => r.config.label)).size;
      const which = sharedTraits(rs.map((r) => r.config));
      return `; ${n} configuration${n === 1 ? "" : "s"}${which ? ` (${which})` : ""} fail${n === 1 ? "s" : ""} differently ${span}: ${print}`;
    })
    .join("");
}

/** What a set of configurations have in common, e.g. "import-time-loop" or "Python 3.9 · UvicornH11Worker". */
function sharedTraits(configs: ConfigVerdict[]): string {
  const traits: ((c: ConfigVerdict) => string)[] = [
    // Under era a configuration spans the releases' Pythons: its label says so, its first cell's Python would not.
    (c) => (c.label.startsWith("era Python") ? "era Python" : `Python ${c.python}`),
    (c) => shortClass(c.workerClass),
    (c) => (c.preload ? "--preload" : "no preload"),
    (c) => c.app,
  ];
  return (
    traits
      .filter((t) => new Set(configs.map(t)).size === 1 && configs.length > 1)
      .map((t) => t(configs[0] as ConfigVerdict))
      .join(" · ") || (configs.length === 1 ? (configs[0] as ConfigVerdict).label : "")
  );
}

/** A configuration: every axis but the claim's package, whose versions it spans (and under era, but the Python, which follows them). */
const configKey =
  (pkg: string, era = false) =>
  (c: CellRecord) =>
    cellId({ ...c, packages: othersOf(c, pkg), python: era ? "era" : c.python });

/** A cell's package axes other than `pkg`. */
const othersOf = (c: CellRecord, pkg: string) =>
  Object.fromEntries(packageEntries(c.packages).filter(([n]) => normalizeName(n) !== normalizeName(pkg)));

/**
 * Labels name what varies among the trigger's configurations: python (or "era Python"), worker class, preload, app
 * always; another package, the worker count, Gunicorn arguments or environment only when it
 * varies (each package once, with this configuration's one version). Never the claim's package:
 * a configuration spans its versions.
 */
function labeller(cells: CellRecord[], pkg: string, era = false): (c: CellRecord) => string {
  const varies = (f: (c: CellRecord) => string) => new Set(cells.map(f)).size > 1;
  const others = [...new Set(cells.flatMap((c) => Object.keys(othersOf(c, pkg))))];
  const shownPackages = others.filter((n) => varies((c) => versionOf(c, n)));
  const showWorkers = varies((c) => String(c.workers));
  const showArgs = varies((c) => argsText(c.gunicornArgs));
  const showEnv = varies((c) => envText(c.envVars));
  return (c) =>
    [
      era ? "era Python" : `Python ${c.python}`,
      ...shownPackages.map((n) => `${n} ${versionOf(c, n) || "(none)"}`),
      shortClass(c.workerClass),
      c.preload ? "--preload" : "no preload",
      c.app,
      ...(showWorkers ? [`${c.workers} workers`] : []),
      ...(showArgs ? [c.gunicornArgs?.length ? c.gunicornArgs.join(" ") : "no extra Gunicorn arguments"] : []),
      ...(showEnv ? [envText(c.envVars) ? `env ${envText(c.envVars)}` : "no extra environment"] : []),
    ].join(" · ");
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
