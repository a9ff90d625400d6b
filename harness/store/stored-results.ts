import { z } from "zod";
import { CellRecord, Evidence, MachineFacts } from "../cell/record.js";
import { contentHash } from "../core/hash.js";
import { Claim, PythonsOfResults, RunInfo } from "./run-info.js";

/**
 * results.json as it is stored since schema version 6. In memory a cell carries everything
 * (CellRecord); on disk what many cells share is stored once and referenced: the env's lock,
 * resolution and install log (one env's cells repeated the same install log hundreds of times),
 * and the machine. Log lines are stored as runs of consecutive lines of one stream and phase, so
 * a line costs its text and not four keys.
 */
export const STORED_SCHEMA_VERSION = 9;
/** The first stored layout: version 6, whose cells name uvicorn and gunicorn as fields (read through the cell model's migration). */
export const FIRST_STORED_VERSION = 6;
/** Version 7 made a cell's package axes one map; 8 added optional fields (the Pythons of the releases); 9 log lines by shape. */
export const PACKAGES_MAP_VERSION = 7;

const LogLine = Evidence.shape.logTail.element;
type LogLine = z.infer<typeof LogLine>;

/**
 * A stored line: its text, or (since 9) [shape, numbers]: the index of its shape in `lineShapes`
 * (the text with each run of digits as SLOT) and those runs of digits, comma-separated; "k:…"
 * when its first k runs are those of the line above it in the same run of lines (a timestamp's
 * date and hour, mostly), which are then not repeated. Gunicorn's
 * and uvicorn's lines differ from cell to cell mostly in their timestamps and pids: 20,664 lines of
 * the full sweep had 158 shapes, and the log tails were half of its results.json.
 */
const StoredLine = z.union([
  z.string(),
  z.tuple([
    z.number().int().min(0),
    z
      .string()
      .regex(/^(?:[1-9][0-9]*:)?(?:[0-9]+(?:,[0-9]+)*)?$/)
      .min(1),
  ]),
]);
type StoredLine = z.infer<typeof StoredLine>;

/** Stands for a run of digits in a shape; a line that contains it is stored as its text. */
const SLOT = "\u00a4";

/** Consecutive log lines of one stream and phase: line numbers n, n+1, … */
const LogRun = z.strictObject({
  /** The number of the first line. */
  n: z.number(),
  stream: LogLine.shape.stream,
  phase: LogLine.shape.phase,
  lines: z.array(StoredLine),
});

/** What every cell of one env shares: the lock (or the lock that failed), how it was resolved, why it failed to install. */
export const StoredEnv = z.strictObject({
  packages: Evidence.shape.packages,
  resolution: Evidence.shape.resolution,
  installLog: Evidence.shape.installLog,
});
export type StoredEnv = z.infer<typeof StoredEnv>;

const {
  packages: _p,
  resolution: _r,
  installLog: _i,
  signatureMatches: _s,
  logTail: _l,
  firstOtherTraceback: _t,
  ...evidenceFields
} = Evidence.shape;
const StoredEvidence = z.strictObject({
  signatureMatches: z.array(LogRun),
  ...evidenceFields,
  /** The first traceback that is not the signature, or (since 9) its index in `tracebacks`: the same one recurs in hundreds of cells. */
  firstOtherTraceback: z.union([z.array(z.string()), z.number().int().min(0)]).optional(),
  logTail: z.array(LogRun),
});

const { evidence: _e, machine: _m, command: _c, ...cellFields } = CellRecord.shape;
export const StoredCell = z.strictObject({
  ...cellFields,
  /**
   * The server's command line, or (since 9) its index in `commands`: it names no version, so a
   * sweep's hundreds of cells share a few command lines.
   */
  command: z.union([CellRecord.shape.command, z.number().int().min(0)]),
  /** Key of its machine in `machines`. */
  machine: z.string().optional(),
  /** Key of its env in `envs`. */
  env: z.string(),
  evidence: StoredEvidence,
});
export type StoredCell = z.infer<typeof StoredCell>;

export const StoredResults = z.strictObject({
  schemaVersion: z.number().int().min(FIRST_STORED_VERSION).max(STORED_SCHEMA_VERSION),
  scenario: z.string(),
  description: z.string().optional(),
  claim: Claim.optional(),
  harnessVersion: z.string(),
  /** UTC date of the newest run that verified cells. */
  lastVerified: z.string(),
  ...PythonsOfResults,
  /** The runs that verified cells, newest last. */
  runs: z.array(RunInfo),
  /** The machines cells ran on, by a hash of their facts. */
  machines: z.record(z.string(), MachineFacts),
  /** The envs' locks and install logs, by a hash of their content. */
  envs: z.record(z.string(), StoredEnv),
  /** The cells' command lines, by index. */
  commands: z.array(CellRecord.shape.command).optional(),
  /** The cells' first tracebacks that are not the signature, by index. */
  tracebacks: z.array(z.array(z.string())).optional(),
  /** The shapes of log lines that several lines share (see StoredLine), by index. */
  lineShapes: z.array(z.string()).optional(),
  cells: z.array(StoredCell),
});
export type StoredResults = z.infer<typeof StoredResults>;

/** The env part of a cell's evidence and its key: equal content, equal key, whichever run recorded it. */
export function envEntry(e: Evidence): { key: string; env: StoredEnv } {
  const env: StoredEnv = {
    packages: e.packages,
    ...(e.resolution ? { resolution: e.resolution } : {}),
    ...(e.installLog !== undefined ? { installLog: e.installLog } : {}),
  };
  return { key: contentHash(env, 12), env };
}

/** A line's shape (its runs of digits as SLOT), or undefined when it has no digits or holds SLOT itself. */
const shapeOf = (text: string): string | undefined => (/\d/.test(text) && !text.includes(SLOT) ? text.replace(/\d+/g, SLOT) : undefined);

/**
 * The shapes that more than one line of these cells has, in the order they first appear: a shape
 * of one line would cost more than the line. The same cells give the same table, byte for byte.
 */
export function lineShapes(cells: CellRecord[]): string[] {
  const counts = new Map<string, number>();
  for (const c of cells)
    for (const l of [...c.evidence.signatureMatches, ...c.evidence.logTail]) {
      const shape = shapeOf(l.text);
      if (shape !== undefined) counts.set(shape, (counts.get(shape) ?? 0) + 1);
    }
  return [...counts].filter(([, n]) => n > 1).map(([shape]) => shape);
}

/** A line as stored, given the digit runs of the shaped line above it in its run of lines (none: undefined). */
function packLine(text: string, shapes: Map<string, number>, above: string[] | undefined): { line: StoredLine; groups?: string[] } {
  const shape = shapeOf(text);
  const index = shape === undefined ? undefined : shapes.get(shape);
  if (index === undefined) return { line: text };
  const groups = text.match(/\d+/g) ?? [];
  let same = 0;
  while (above && same < groups.length && same < above.length && groups[same] === above[same]) same++;
  const rest = groups.slice(same).join(",");
  return { line: [index, same > 0 ? `${same}:${rest}` : rest], groups };
}

/** A stored line's text and digit runs, or undefined when its shape is missing or its digits do not fit it. */
function unpackLine(line: StoredLine, shapes: string[], above: string[] | undefined): { text: string; groups?: string[] } | undefined {
  if (typeof line === "string") return { text: line };
  const [index, numbers] = line;
  const shape = shapes[index];
  const elided = /^(\d+):(.*)$/.exec(numbers);
  const same = elided ? Number(elided[1]) : 0;
  const rest = elided ? (elided[2] as string) : numbers;
  if (same > (above?.length ?? 0)) return undefined;
  const groups = [...(above ?? []).slice(0, same), ...(rest ? rest.split(",") : [])];
  if (shape === undefined || shape.split(SLOT).length !== groups.length + 1) return undefined;
  let i = 0;
  return { text: shape.replaceAll(SLOT, () => groups[i++] as string), groups };
}

export function packLines(lines: LogLine[], shapes = new Map<string, number>()): z.infer<typeof LogRun>[] {
  const runs: z.infer<typeof LogRun>[] = [];
  let above: string[] | undefined;
  for (const l of lines) {
    const last = runs.at(-1);
    const joins = last && last.stream === l.stream && last.phase === l.phase && last.n + last.lines.length === l.n;
    // Digits are elided only against the line above in the same run: a run reads on its own.
    const { line, groups } = packLine(l.text, shapes, joins ? above : undefined);
    above = groups;
    if (joins) last.lines.push(line);
    else runs.push({ n: l.n, stream: l.stream, phase: l.phase, lines: [line] });
  }
  return runs;
}

/** The lines back, or undefined when one names a shape the file does not have (or with other digits). */
function unpackLines(runs: z.infer<typeof LogRun>[], shapes: string[]): LogLine[] | undefined {
  const out: LogLine[] = [];
  for (const r of runs) {
    let above: string[] | undefined;
    for (const [i, line] of r.lines.entries()) {
      const back = unpackLine(line, shapes, above);
      if (back === undefined) return undefined;
      above = back.groups;
      out.push({ n: r.n + i, stream: r.stream, phase: r.phase, text: back.text });
    }
  }
  return out;
}

/** What cells share, filled as they are packed: envs and machines by key, command lines and tracebacks by index. */
export interface PackTables {
  envs: Record<string, StoredEnv>;
  machines: Record<string, MachineFacts>;
  commands: string[][];
  tracebacks: string[][];
  /** Line shapes (lineShapes) and their indexes. */
  shapes: Map<string, number>;
}

/** The index of `lines` in `table`, added at its end if it is not there. */
function indexIn(table: string[][], lines: string[]): number {
  const at = table.findIndex((known) => known.length === lines.length && known.every((a, i) => a === lines[i]));
  return at >= 0 ? at : table.push(lines) - 1;
}

export function packCell(c: CellRecord, t: PackTables): StoredCell {
  const { envs, machines, shapes } = t;
  const { evidence, machine, command, ...rest } = c;
  const { packages: _pk, resolution: _rs, installLog: _il, signatureMatches, logTail, ...kept } = evidence;
  const { key, env } = envEntry(evidence);
  envs[key] = env;
  const machineKey = machine ? contentHash(machine, 12) : undefined;
  if (machine && machineKey) machines[machineKey] = machine;
  const { firstOtherTraceback: traceback, ...others } = kept;
  return {
    ...rest,
    command: indexIn(t.commands, command),
    ...(machineKey ? { machine: machineKey } : {}),
    env: key,
    evidence: {
      signatureMatches: packLines(signatureMatches, shapes),
      ...others,
      ...(traceback ? { firstOtherTraceback: indexIn(t.tracebacks, traceback) } : {}),
      logTail: packLines(logTail, shapes),
    },
  };
}

/** A stored cell as the harness works with it; undefined when its env, machine, command, traceback or a line's shape is not in the file. */
export function unpackCell(
  c: StoredCell,
  envs: Record<string, StoredEnv>,
  machines: Record<string, MachineFacts>,
  {
    shapes = [],
    commands = [],
    tracebacks = [],
  }: { shapes?: string[]; commands?: (string[] | undefined)[]; tracebacks?: (string[] | undefined)[] } = {},
): CellRecord | undefined {
  const { env: key, machine: machineKey, evidence, command: stored, ...rest } = c;
  const command = typeof stored === "number" ? commands[stored] : stored;
  const env = envs[key];
  const machine = machineKey === undefined ? undefined : machines[machineKey];
  const signatureMatches = unpackLines(evidence.signatureMatches, shapes);
  const logTail = unpackLines(evidence.logTail, shapes);
  const stack = evidence.firstOtherTraceback;
  const firstOtherTraceback = typeof stack === "number" ? tracebacks[stack] : stack;
  if (!env || !command || (machineKey !== undefined && !machine) || !signatureMatches || !logTail) return undefined;
  if (stack !== undefined && !firstOtherTraceback) return undefined;
  const { firstOtherTraceback: _f, ...others } = evidence;
  return {
    ...rest,
    command,
    ...(machine ? { machine } : {}),
    evidence: { ...others, ...(firstOtherTraceback ? { firstOtherTraceback } : {}), signatureMatches, logTail, ...env },
  };
}
