import type { LogCollector } from "../evidence/log-collector.js";

/** A file placed into the server's filesystem before it starts (the fixture apps). */
export interface PlacedFile {
  /** Absolute path inside the server, e.g. /app/plain.py. */
  path: string;
  content: Buffer | string;
}

export interface ServerSpec {
  /** Image (or, for a local runtime, environment) that holds Python and the locked packages. */
  image: string;
  command: string[];
  files: PlacedFile[];
  /** The port the command listens on inside; the runtime publishes it on 127.0.0.1 only. */
  port: number;
  /** Output is fed here as it arrives. */
  logs: LogCollector;
  /** Labels that let a later run find and reap what a crashed run left behind. */
  labels: Record<string, string>;
}

export interface ServerExit {
  exitCode: number;
  /** The runtime killed it (out of memory, or after the grace period). */
  killed: boolean;
}

/** A running server; disposing it stops and removes it, whatever happened before. */
export interface StartedServer extends AsyncDisposable {
  /** http://127.0.0.1:<published port> */
  readonly baseUrl: string;
  /** Settles when the server process ends, on its own or by stop(). */
  readonly exited: Promise<ServerExit>;
  /** Graceful stop (SIGTERM, then kill after the grace period); waits for the exit. */
  stop(graceSeconds: number): Promise<ServerExit>;
}

/** The one interface the rest of the harness uses to run servers; Docker is one implementation. */
export interface Runtime {
  readonly name: "docker" | "local";
  start(spec: ServerSpec, signal: AbortSignal): Promise<StartedServer>;
  /** Run a short command to completion and return its stdout (image facts, pip freeze). */
  exec(image: string, command: string[], signal: AbortSignal): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}
