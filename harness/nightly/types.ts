import type { CompatStatus } from "../claims/compat.js";
import type { VerdictStatus } from "../claims/verdict.js";
import type { FieldChange } from "../pages/update-page.js";

/** A row of the compatibility table that appeared (no `before`), moved, or went (no `after`). */
export interface RowChange {
  python: string;
  version: string;
  before?: CompatStatus;
  after?: CompatStatus;
}

export interface TableRow {
  version: string;
  /** Status per Python that has cells of this version. */
  byPython: Record<string, CompatStatus>;
  overall: CompatStatus;
}

export interface VerdictFacts {
  status: VerdictStatus;
  sentence: string;
  lastAffected?: string;
  firstWithout?: string;
}

/** Cells of shards that did not finish: not run tonight, kept (never dropped) with their last verification. */
export interface NotRun {
  /** "2/4" for each shard that failed or sent nothing. */
  shards: string[];
  /** How many of the scenario's cells those shards held. */
  cells: number;
  /** Of those, how many keep an earlier result (carried over with its date). */
  carried: number;
  /** Ids of those with no result at all (new tonight, e.g. a new release's). */
  missing: string[];
}

/** What the night did to the scenario's fix page. */
export type PageNight = { file: string; changes: FieldChange[] } | { file: string; skipped: string };

export interface ScenarioNight {
  scenario: string;
  /** The scenario file and the report folder. */
  file: string;
  reportDir: string;
  /** The package whose versions are the table's rows: the claim's (uvicorn for a scenario without a claim, as in its report). */
  package: string;
  claim?: string;
  verdict: { before?: VerdictFacts; after?: VerdictFacts };
  /** The results' last-verified date, and the claim's (as fresh as its oldest cell). */
  lastVerified: { before?: string; after: string };
  claimVerified: { before?: string; after?: string };
  /** Versions no cell had before the night, per package axis. */
  newReleases: { package: string; versions: string[] }[];
  rows: RowChange[];
  newFingerprints: { fingerprint: string; cells: number }[];
  cells: {
    total: number;
    /** Servers started tonight, and results reused by cell key. */
    ran: number;
    reused: number;
    /** Results whose date moved, results that are new, and results removed (no longer in the matrix). */
    reverified: number;
    added: number;
    removed: number;
    /** Cells last verified more than 30 days before the results' last-verified date. */
    stale: number;
  };
  table: { pythons: string[]; rows: TableRow[] };
  notRun?: NotRun;
  page?: PageNight;
}

export interface NightSummary {
  /** UTC date the night started. */
  date: string;
  /** How the night ran: every cell here, one shard of it, or the merge of shards. */
  mode: "local" | "shard" | "merge" | "no-run";
  scenarios: ScenarioNight[];
  /** Whether anything a reader would care about changed (dates that moved alone do not count). */
  changed: boolean;
}
