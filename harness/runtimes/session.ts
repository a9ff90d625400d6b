import type { Check } from "../core/check.js";
import type { EnvBackend } from "../envs/prepare-env.js";
import type { Runtime } from "./runtime.js";

/** What a run or a bisect needs of a runtime, whichever it is: open once, used for every env and cell. */
export interface RuntimeSession {
  readonly runtime: Runtime;
  /** Builds envs where this runtime runs them: images (docker), virtualenvs (local). */
  readonly backend: EnvBackend;
  /** The adapter's source folder, hashed into every cell key it runs. */
  readonly codeDir: URL;
  /** Why auto chose what it chose, for the run's summary. */
  readonly note?: string;
  /** Remove what crashed runs left behind. */
  reapOrphans(): Promise<void>;
  /** Remove everything this run started; called on every way out. */
  removeRun(): Promise<void>;
  /**
   * Call `onSilent` with the error to stop on if what runs the servers stops answering while the
   * run uses it (a hung engine); returns the function that stops watching. Absent: nothing to watch.
   */
  watch?(onSilent: (reason: Error) => void): () => void;
  /** A one-line error for a failure that is this runtime's machine going away mid-run, else undefined. */
  explainFailure?(err: unknown): Error | undefined;
}

export interface SessionOptions {
  runId: string;
  /** Absolute: local servers run in their own working folder. */
  cacheDir: string;
  signal: AbortSignal;
  /** Build again what failed before (--rebuild) instead of reporting the recorded failure. */
  retryFailedBuilds?: boolean;
  /** auto is choosing among runtimes: a runtime that needs a machine to answer waits briefly. */
  auto?: boolean;
  /** Docker: run an env's cells one after another in a container kept for the env (env-hosts.ts), not one container each. */
  reuseContainers?: boolean;
}

export interface DoctorResult {
  checks: Check[];
  /** Folders this runtime writes to, with how to make room there, for doctor's disk check. */
  places?: { path: string; label: string; fix: string }[];
  /** Whether it could run a matrix here now (an engine answered). */
  available: boolean;
}

export interface DoctorContext {
  cacheDir: string;
  /** The scenario's Pythons (version -> base and host interpreter), when its config loaded. */
  pythons: [version: string, settings: { base: string; hostPython?: string }][];
  /** Whether this runtime is the only one a run could use (a missing prerequisite then fails, not warns). */
  only: boolean;
  fetch?: typeof globalThis.fetch;
}

/**
 * One runtime, self-contained in its folder: the registry lists these, and nothing outside the
 * folder knows how it works.
 */
export interface RuntimeAdapter {
  readonly name: string;
  /** One line, for help and doctor. */
  readonly summary: string;
  /** The adapter's own source folder: hashed into the key of every cell it runs, whatever its files are called. */
  readonly codeDir: URL;
  /**
   * Opens a session, or throws a PrerequisiteError naming the fix when this runtime cannot run
   * here (no engine): `auto` then tries the next runtime.
   */
  open(o: SessionOptions): Promise<RuntimeSession>;
  /** doctor's checks of what this runtime needs; `places` are folders whose free space matters to it. */
  doctor(o: DoctorContext, signal: AbortSignal): Promise<DoctorResult>;
  /**
   * `repro-matrix clean`: remove whatever of the harness's this runtime keeps outside the cache
   * folder (docker: every harness container, and with `images` its images), saying what went.
   * Absent: it keeps nothing there.
   */
  clean?(o: { images: boolean }): Promise<string>;
}
