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
export const STORED_SCHEMA_VERSION = 8;
/** The first stored layout: version 6, whose cells name uvicorn and gunicorn as fields (read through the cell model's migration). */
export const FIRST_STORED_VERSION = 6;
/** Version 7 made a cell's package axes one map; 8 added optional fields (the Pythons of the releases). */
export const PACKAGES_MAP_VERSION = 7;

const LogLine = Evidence.shape.logTail.element;
type LogLine = z.infer<typeof LogLine>;

/** Consecutive log lines of one stream and phase: line numbers n, n+1, … */
const LogRun = z.strictObject({
  /** The number of the first line. */
  n: z.number(),
  stream: LogLine.shape.stream,
  phase: LogLine.shape.phase,
  lines: z.array(z.string()),
});

/** What every cell of one env shares: the lock (or the lock that failed), how it was resolved, why it failed to install. */
export const StoredEnv = z.strictObject({
  packages: Evidence.shape.packages,
  resolution: Evidence.shape.resolution,
  installLog: Evidence.shape.installLog,
});
export type StoredEnv = z.infer<typeof StoredEnv>;

const { packages: _p, resolution: _r, installLog: _i, signatureMatches: _s, logTail: _l, ...evidenceFields } = Evidence.shape;
const StoredEvidence = z.strictObject({
  signatureMatches: z.array(LogRun),
  ...evidenceFields,
  logTail: z.array(LogRun),
});

const { evidence: _e, machine: _m, ...cellFields } = CellRecord.shape;
export const StoredCell = z.strictObject({
  ...cellFields,
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

export function packLines(lines: LogLine[]): z.infer<typeof LogRun>[] {
  const runs: z.infer<typeof LogRun>[] = [];
  for (const l of lines) {
    const last = runs.at(-1);
    if (last && last.stream === l.stream && last.phase === l.phase && last.n + last.lines.length === l.n) last.lines.push(l.text);
    else runs.push({ n: l.n, stream: l.stream, phase: l.phase, lines: [l.text] });
  }
  return runs;
}

const unpackLines = (runs: z.infer<typeof LogRun>[]): LogLine[] =>
  runs.flatMap((r) => r.lines.map((text, i) => ({ n: r.n + i, stream: r.stream, phase: r.phase, text })));

export function packCell(c: CellRecord, envs: Record<string, StoredEnv>, machines: Record<string, MachineFacts>): StoredCell {
  const { evidence, machine, ...rest } = c;
  const { packages: _pk, resolution: _rs, installLog: _il, signatureMatches, logTail, ...kept } = evidence;
  const { key, env } = envEntry(evidence);
  envs[key] = env;
  const machineKey = machine ? contentHash(machine, 12) : undefined;
  if (machine && machineKey) machines[machineKey] = machine;
  return {
    ...rest,
    ...(machineKey ? { machine: machineKey } : {}),
    env: key,
    evidence: { ...kept, signatureMatches: packLines(signatureMatches), logTail: packLines(logTail) },
  };
}

/** A stored cell as the harness works with it; undefined when its env or machine is not in the file. */
export function unpackCell(c: StoredCell, envs: Record<string, StoredEnv>, machines: Record<string, MachineFacts>): CellRecord | undefined {
  const { env: key, machine: machineKey, evidence, ...rest } = c;
  const env = envs[key];
  const machine = machineKey === undefined ? undefined : machines[machineKey];
  if (!env || (machineKey !== undefined && !machine)) return undefined;
  return {
    ...rest,
    ...(machine ? { machine } : {}),
    evidence: {
      ...evidence,
      signatureMatches: unpackLines(evidence.signatureMatches),
      logTail: unpackLines(evidence.logTail),
      ...env,
    },
  };
}
