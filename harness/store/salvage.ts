import { jsonrepair } from "jsonrepair";
import type { z } from "zod";
import { CellRecord, MachineFacts, migrateLegacyAxes } from "../cell/record.js";
import { Claim, PythonsOfResults, RunInfo } from "./run-info.js";
import { FIRST_STORED_VERSION, PACKAGES_MAP_VERSION, StoredCell, StoredEnv, unpackCell } from "./stored-results.js";

export interface Salvaged {
  /** The file's own scenario, description, claim, harness version and date, where they are valid. */
  head: { scenario?: string; description?: string; claim?: Claim; harnessVersion?: string; lastVerified?: string } & {
    [K in keyof typeof PythonsOfResults]?: z.output<(typeof PythonsOfResults)[K]>;
  };
  cells: CellRecord[];
  runs: RunInfo[];
  /** How many cells the file held (what a count of its cell entries finds). */
  of: number;
}

const asObject = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const valid = <S extends z.ZodType>(schema: S, v: unknown): z.output<S>[] => {
  const parsed = schema.safeParse(v);
  return parsed.success ? [parsed.data] : [];
};

/**
 * Every part of a damaged results file that is still valid on its own: each cell, run, env and
 * machine checked by itself, so one bad field costs one cell, not the file. A file cut short
 * (a crash mid-write, a full disk) is closed first by jsonrepair; its last, partial cell fails
 * the check and is dropped.
 */
export function salvage(text: string): Salvaged {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = JSON.parse(jsonrepair(text));
    } catch {
      value = {};
    }
  }
  const file = asObject(value);
  const version = typeof file.schemaVersion === "number" ? file.schemaVersion : 1;
  // Before 7, cells named uvicorn and gunicorn as fields: each is read into packages first (a cell
  // that has packages is left as it is, so an unreleased 7 that still had the fields reads too).
  const rawCells = asArray(file.cells).map((c) => (version <= PACKAGES_MAP_VERSION ? migrateLegacyAxes(c) : c));
  const envs = Object.fromEntries(Object.entries(asObject(file.envs)).flatMap(([k, v]) => valid(StoredEnv, v).map((e) => [k, e])));
  const machines = Object.fromEntries(
    Object.entries(asObject(file.machines)).flatMap(([k, v]) => valid(MachineFacts, v).map((m) => [k, m])),
  );
  const shapes = asArray(file.lineShapes).map((v) => (typeof v === "string" ? v : ""));
  // A damaged command line is no command: its cells are dropped, not given an empty one.
  const lists = (v: unknown) => asArray(v).map((x) => (Array.isArray(x) && x.every((a) => typeof a === "string") ? x : undefined));
  const commands = lists(file.commands);
  const tracebacks = lists(file.tracebacks);
  const cells =
    version >= FIRST_STORED_VERSION
      ? rawCells.flatMap((c) => valid(StoredCell, c).flatMap((s) => unpackCell(s, envs, machines, { shapes, commands, tracebacks }) ?? []))
      : rawCells.flatMap((c) => valid(CellRecord, c));
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const head: Salvaged["head"] = {};
  for (const key of ["scenario", "description", "harnessVersion", "lastVerified"] as const) {
    const v = str(file[key]);
    if (v !== undefined) head[key] = v;
  }
  const claim = valid(Claim, file.claim)[0];
  if (claim) head.claim = claim;
  // The Pythons of the releases decide how the tables read (era or not): kept where valid.
  for (const key of ["pythonPolicy", "eraPython", "notApplicable"] as const) {
    const v = valid(PythonsOfResults[key], file[key])[0];
    if (v !== undefined) Object.assign(head, { [key]: v });
  }
  return { head, cells, runs: asArray(file.runs).flatMap((r) => valid(RunInfo, r)), of: rawCells.length };
}
