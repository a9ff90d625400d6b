import { copyFile, readFile } from "node:fs/promises";
import { basename } from "node:path";
import { z } from "zod";
import { type CellAxes, CellRecord, cellAxesKey, cellIdentity, type MachineFacts, migrateLegacyAxes } from "../cell/record.js";
import { plainMessage } from "../config/issue-message.js";
import { ConfigError } from "../core/errors.js";
import { writeAtomic } from "../core/json-file.js";
import { canonical } from "./canonical.js";
import { Claim, NotApplicable, PythonsOfResults, RunInfo } from "./run-info.js";
import { salvage } from "./salvage.js";
import {
  FIRST_STORED_VERSION,
  lineShapes,
  PACKAGES_MAP_VERSION,
  packCell,
  STORED_SCHEMA_VERSION,
  type StoredEnv,
  StoredResults,
  unpackCell,
} from "./stored-results.js";

export { Claim, NotApplicable, RunInfo };

/**
 * results.json's format version. 1: no version field; 2: adds the claim's package and signature and
 * each cell's harnessVersion and bootProfile, all optional, so a version 1 file reads as version 2;
 * 3: readiness may be "stalled" (a reader of version 2 would reject it); 4: a cell may name the
 * machine it ran on (optional); 5: a cell's evidence may hold its checks and steps, and a log
 * line's phase may name a step (a reader of version 4 would reject both); 6: envs and machines
 * stored once and referenced by cells, log lines as runs (stored-results.ts); 7: a cell's package
 * axes are one map, `packages` (uvicorn and gunicorn were fields and other packages `extras`), and
 * it may have `gunicornArgs` and `envVars`; 8: the Python policy, each release's era Python, the
 * combinations that are not applicable, and each run's env build times (all optional; a reader of
 * version 7 would reject them); 9: log lines stored by shape (`lineShapes`), command lines and
 * first tracebacks once (`commands`, `tracebacks`); a reader of 8 would reject them. Versions 1 to 8 are read, cells before 7 have their packages moved into the map,
 * and all are written back as 9. A file from a newer harness is refused
 * (ConfigError) rather than silently replaced.
 */
export const RESULTS_SCHEMA_VERSION = STORED_SCHEMA_VERSION;

/** The results as the harness works with them: every cell whole. Also the layout of versions 1 to 5. */
export const ResultsFile = z.strictObject({
  schemaVersion: z.number().int().min(1).max(RESULTS_SCHEMA_VERSION).default(1),
  scenario: z.string(),
  description: z.string().optional(),
  claim: Claim.optional(),
  harnessVersion: z.string(),
  /** UTC date of the newest run that verified cells. */
  lastVerified: z.string(),
  ...PythonsOfResults,
  cells: z.array(CellRecord),
  /** The runs that verified cells, newest last. */
  runs: z.array(RunInfo),
});
export type ResultsFile = z.infer<typeof ResultsFile>;

export interface ReadOptions {
  /** Keep the valid cells of a damaged file, which is copied aside first (results.json.bad-<date>). */
  repair?: boolean;
  /** Told what a repair kept and where the damaged file went. */
  onRepair?: (note: string) => void;
}

/**
 * The results in `file`, or undefined when there is none. A file that does not parse or fails
 * the schema is never taken for "none": a run would then replace every recorded cell with its
 * own. It stops the command (ConfigError, naming the file and the first bad field) unless
 * `repair` is asked for.
 */
export async function readResultsFile(file: string, o: ReadOptions = {}): Promise<ResultsFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  const parsed = parseResults(file, text);
  if (parsed.results) return parsed.results;
  if (!o.repair)
    throw new ConfigError(
      `${file}: ${parsed.problem}; nothing was written: fix the file, or run again with --repair to keep its valid cells (the damaged file is copied to ${basename(file)}.bad-<date>)`,
    );
  const { head, cells, runs, of } = salvage(text);
  const results: ResultsFile = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    // A run writes its own scenario, claim and harness version over these: only the cells and runs matter.
    scenario: "",
    harnessVersion: "",
    ...head,
    lastVerified:
      head.lastVerified ??
      cells
        .map((c) => c.startedAt.slice(0, 10))
        .sort()
        .at(-1) ??
      "",
    cells,
    runs,
  };
  const aside = `${file}.bad-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  // Copied, not moved: results.json is never missing, even if the next step fails.
  await copyFile(file, aside);
  await writeAtomic(file, resultsJsonChunks(results));
  o.onRepair?.(`repaired ${file} (${parsed.problem}): kept ${cells.length} of ${of} cells; the damaged file is ${aside}`);
  return results;
}

/** The results in a file's text, or the first problem with it (the field's path and why). */
export function parseResults(
  file: string,
  text: string,
): { results: ResultsFile; problem?: undefined } | { problem: string; results?: undefined } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { problem: `not valid JSON (${(err as Error).message}; truncated by a crash or an edit?)` };
  }
  // Results a newer harness wrote must not be overwritten by an older one that cannot read them.
  const version = z.looseObject({ schemaVersion: z.number().optional() }).safeParse(value).data?.schemaVersion ?? 1;
  if (version > RESULTS_SCHEMA_VERSION)
    throw new ConfigError(
      `${file}: results schema version ${version} is newer than this repro-matrix reads (${RESULTS_SCHEMA_VERSION}); upgrade repro-matrix`,
    );
  // Before 7, cells named uvicorn and gunicorn as fields: the cell model reads them into packages.
  const migrated = version <= PACKAGES_MAP_VERSION ? withMigratedCells(value) : value;
  if (version < FIRST_STORED_VERSION) {
    const legacy = ResultsFile.safeParse(migrated, { error: plainMessage });
    return legacy.success ? { results: legacy.data } : { problem: firstIssue(legacy.error) };
  }
  const stored = StoredResults.safeParse({ ...(migrated as object), schemaVersion: STORED_SCHEMA_VERSION }, { error: plainMessage });
  if (!stored.success) return { problem: firstIssue(stored.error) };
  return unpackResults(stored.data);
}

/** "cells[3].outcome: one of …": the first issue, with the path a reader can find in the file. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "not a results file";
  const path = issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
  return `${path || "(the file)"}: ${issue.message}`;
}

export function packResults(r: ResultsFile): StoredResults {
  const envs: Record<string, StoredEnv> = {};
  const machines: Record<string, MachineFacts> = {};
  const shapes = lineShapes(r.cells);
  const tables = {
    envs,
    machines,
    commands: [] as string[][],
    tracebacks: [] as string[][],
    shapes: new Map(shapes.map((shape, i) => [shape, i])),
  };
  const cells = r.cells.map((c) => packCell(c, tables));
  const { cells: _c, schemaVersion: _v, runs, ...head } = r;
  return canonical(StoredResults, {
    ...head,
    schemaVersion: STORED_SCHEMA_VERSION,
    runs,
    machines,
    envs,
    ...(tables.commands.length > 0 ? { commands: tables.commands } : {}),
    ...(tables.tracebacks.length > 0 ? { tracebacks: tables.tracebacks } : {}),
    ...(shapes.length > 0 ? { lineShapes: shapes } : {}),
    cells,
  });
}

function unpackResults(s: StoredResults): { results: ResultsFile } | { problem: string } {
  const { envs, machines, lineShapes: shapes = [], commands = [], tracebacks = [], cells: stored, ...head } = s;
  const cells: CellRecord[] = [];
  for (const [i, c] of stored.entries()) {
    const cell = unpackCell(c, envs, machines, { shapes, commands, tracebacks });
    if (!cell)
      return {
        problem: `cells[${i}]: its env "${c.env}", machine "${c.machine}", command, traceback or a log line's shape is not in the file`,
      };
    cells.push(cell);
  }
  return { results: { ...head, cells } };
}

/** A file from before schema 6, its cells' package fields as one map (the cell model's migration). */
function withMigratedCells(value: unknown): unknown {
  const cells = (value as { cells?: unknown } | null)?.cells;
  return Array.isArray(cells) ? { ...(value as object), cells: cells.map(migrateLegacyAxes) } : value;
}

/**
 * The results as they read back from their file: canonical key order and layout. Reports are
 * rendered from this, so a report rendered right after a run and one rendered later from the
 * file are the same bytes.
 */
export function canonicalResults(r: ResultsFile): ResultsFile {
  const back = unpackResults(packResults(r));
  if ("problem" in back) throw new Error(`results do not survive their own format: ${back.problem}`);
  return back.results;
}

// Top-level entries written one per line: a cell that changes is one changed line in a diff.
const ONE_PER_LINE = new Set(["runs", "machines", "envs", "commands", "tracebacks", "lineShapes", "cells"]);

/**
 * results.json's text in the canonical layout: top-level fields one per line, then each run,
 * machine, env and cell on a line of its own, in the canonical key order (canonical.ts). Yielded
 * a line at a time: the whole file as one string (megabytes for a full sweep) was a peak of the
 * harness's memory at the end of a run.
 */
export function* resultsJsonChunks(r: ResultsFile): Generator<string> {
  const stored = packResults(r);
  const keys = Object.keys(stored) as (keyof StoredResults)[];
  yield "{\n";
  for (const [i, key] of keys.entries()) {
    const value = stored[key];
    const comma = i < keys.length - 1 ? "," : "";
    if (!ONE_PER_LINE.has(key) || typeof value !== "object" || Object.keys(value as object).length === 0) {
      yield `  ${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}\n`;
      continue;
    }
    const list = Array.isArray(value);
    const entries = list
      ? value.map((v) => JSON.stringify(v))
      : Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    yield `  ${JSON.stringify(key)}: ${list ? "[" : "{"}\n`;
    for (const [j, e] of entries.entries()) yield `    ${e}${j < entries.length - 1 ? "," : ""}\n`;
    yield `  ${list ? "]" : "}"}${comma}\n`;
  }
  yield "}\n";
}

/** New cells replace earlier ones with the same axes; cells a filtered run did not touch stay. */
export function mergeCells(previous: CellRecord[], fresh: CellRecord[]): CellRecord[] {
  const byId = new Map(previous.map((c) => [cellIdentity(c), c]));
  for (const c of fresh) byId.set(cellIdentity(c), c);
  return [...byId.values()];
}

/**
 * Splits recorded cells into those the scenario's matrix still holds (by axes, on any runtime) and
 * those it no longer does: a release the range or the index dropped, a Python, worker class or app
 * taken out, another worker count. No run can verify the latter again, so kept they would stay in
 * the table and hold the claim's last-verified date back for good.
 */
export function splitByMatrix(cells: CellRecord[], matrix: Iterable<CellAxes>) {
  const axes = new Set([...matrix].map(cellAxesKey));
  const kept: CellRecord[] = [];
  const outside: CellRecord[] = [];
  for (const c of cells) (axes.has(cellAxesKey(c)) ? kept : outside).push(c);
  return { kept, outside };
}

export { writeAtomic };
