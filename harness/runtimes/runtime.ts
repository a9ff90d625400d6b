import type { MachineFacts, ServerLimits } from "../cell/record.js";
import type { SIGNALS } from "../config/schema.js";

/**
 * Where a server's output goes as it arrives. The runtime only writes; what is read from it
 * (signatures, tracebacks, phases) is the evidence stage's business, above this one.
 */
export interface OutputSink {
  write(stream: "stdout" | "stderr", text: string): void;
}

/** A file placed into the server's filesystem before it starts (the fixture apps). */
export interface PlacedFile {
  /** Path relative to the app folder, e.g. plain.py. */
  path: string;
  content: Buffer | string;
}

/** Where a runtime puts things; the command is written against these, not fixed paths. */
export interface ServerPlace {
  /** The env's virtualenv: /opt/venv in an image, a cache folder for the local runtime. */
  venv: string;
  /** The folder holding the placed files (the fixture apps). */
  appDir: string;
  /** Gunicorn's --bind: a unix socket in a folder shared with the host (docker), 127.0.0.1:<free port> locally. */
  bind: string;
}

/**
 * The place a recorded command (and a cell key) is written against when the runtime has none of
 * its own: a runtime that picks a place per server (local: a free port, a venv folder) records
 * this nominal one, so a cell's key does not change with the port it happened to get.
 */
export const NOMINAL_PLACE: ServerPlace = { venv: "/opt/venv", appDir: "/app", bind: "unix:/run/repro-matrix/gunicorn.sock" };

export interface ServerSpec {
  /** Image (or, for the local runtime, the virtualenv folder) that holds Python and the locked packages. */
  image: string;
  command: (place: ServerPlace) => string[];
  /** Files by name, placed into appDir before the server starts. */
  files: PlacedFile[];
  /** Output is fed here as it arrives. */
  logs: OutputSink;
  /** Labels that let a later run find and reap what a crashed run left behind. */
  labels: Record<string, string>;
  /** Environment variables for the server beyond the runtime's minimal set (the trial number). */
  env?: Record<string, string>;
  /** Memory cap for the whole server, where the runtime can enforce one (docker). */
  memoryMiB?: number;
  /** CPU quota for the whole server, in CPUs, where the runtime can enforce one (docker). */
  cpus?: number;
  /**
   * Other servers of the same env may follow in this run: a runtime may keep what it made for
   * this one (docker: the container) for them. A lone server gets nothing kept.
   */
  shareable?: boolean;
}

export interface ServerExit {
  exitCode: number;
  /** The runtime killed it (out of memory, or after the grace period). */
  killed: boolean;
}

/** A signal a scenario's step sends (Gunicorn's: HUP reloads the workers, TTIN/TTOU add or remove one). */
export type ServerSignal = (typeof SIGNALS)[number];

/** One of the server's processes, as the kernel shows it (/proc). */
export interface ServerProcess {
  pid: number;
  /** Resident memory (VmRSS), KiB. */
  rssKb: number;
}

/** A signal sent (to this pid, in the server's own pid namespace), or why not: a gone master is data, not an error. */
export type SignalSent = { sent: true; pid: number } | { sent: false; why: string };

/** A running server; disposing it stops and removes it, whatever happened before. */
export interface StartedServer extends AsyncDisposable {
  /** http://127.0.0.1:<port>, or http://localhost when the server listens on socketPath. */
  readonly baseUrl: string;
  /** A unix socket on this host that the server listens on (docker: the container has no network at all). */
  readonly socketPath?: string;
  /** The command as it ran, for the record and for rerunning the cell by hand. */
  readonly command: string[];
  /** The confinement the runtime applied to this server, recorded with the cell. */
  readonly limits?: ServerLimits;
  /** Settles when the server process ends, on its own or by stop(). */
  readonly exited: Promise<ServerExit>;
  /** Graceful stop (SIGTERM, then kill after the grace period); waits for the exit, or until `signal` aborts. */
  stop(graceSeconds: number, signal?: AbortSignal): Promise<ServerExit>;
  /**
   * Sends `sig` to the master (the process the command started), or to one of its workers (the
   * first child the kernel lists), as the server's own user. Only `signal` aborting throws.
   */
  kill(sig: ServerSignal, to: "master" | "worker", signal: AbortSignal): Promise<SignalSent>;
  /** The master's child processes now (its workers), with their memory; empty when it has none or is gone. */
  workers(signal: AbortSignal): Promise<ServerProcess[]>;
}

/** The one interface the rest of the harness uses to run servers; Docker is one implementation. */
export interface Runtime {
  /** The adapter's name in the registry (docker, local), recorded with every cell. */
  readonly name: string;
  /** The machine servers run on (the engine's, for docker), recorded with every cell. */
  readonly machine?: MachineFacts;
  /**
   * The place every server's command is written against, when it is not the container default
   * (an engine on another machine: a published port): part of each cell key, as the command is.
   */
  readonly place?: ServerPlace;
  start(spec: ServerSpec, signal: AbortSignal): Promise<StartedServer>;
  /** No more servers of `image` will be started: what the runtime kept for them can go. */
  retire?(image: string): Promise<void>;
  /** Run a short command to completion in an image (docker) or on the host (local), e.g. image facts. */
  exec(image: string, command: string[], signal: AbortSignal): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}
