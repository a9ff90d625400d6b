/**
 * The harness's own faults, each tied to an exit code. Expected failures of a cell (a crash,
 * an install error) are data in the results, never one of these.
 */
export class HarnessError extends Error {
  /** Exit code the CLI uses for this error. */
  readonly exitCode: number = 2;
}

/** matrix.yaml or a CLI flag is wrong: the message names the field (and line) to fix. */
export class ConfigError extends HarnessError {}

/** A prerequisite (Docker engine, host Python, network) is missing: the message names the fix. */
export class PrerequisiteError extends HarnessError {}

/**
 * The Docker engine stopped answering mid-run (hung, not gone). Calls to it may still be open,
 * and would keep the process alive: the CLI exits without waiting for them.
 */
export class EngineUnresponsiveError extends PrerequisiteError {}
