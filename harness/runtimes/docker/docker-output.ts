import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import type { OutputSink } from "../runtime.js";

/** nobody:nogroup: the app under test never runs as root, in a container of its own or by exec in a shared one. */
export const SERVER_USER = "65534:65534";

/** `NAME=value` lines for the engine, from a map of variables. */
export const envList = (env: Record<string, string> | undefined) => Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);

/**
 * Feeds a server's multiplexed output (a container's attach, or an exec's) into `logs` as it
 * arrives, stdout and stderr apart; resolves when the output has ended.
 */
export function followOutput(stream: NodeJS.ReadableStream, docker: Docker, logs: OutputSink): Promise<void> {
  const out = new PassThrough();
  const err = new PassThrough();
  out.on("data", (b: Buffer) => logs.write("stdout", b.toString("utf8")));
  err.on("data", (b: Buffer) => logs.write("stderr", b.toString("utf8")));
  docker.modem.demuxStream(stream, out, err);
  return streamEnded(stream);
}

/** Resolves when the stream ends, closes or fails: whichever way, nothing more will come. */
export const streamEnded = (stream: NodeJS.ReadableStream) =>
  new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });

/** A sink for one of a demultiplexed stream's halves, and its whole text once the stream has ended. */
export function collect() {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on("data", (b: Buffer) => chunks.push(b));
  return { sink, text: () => Buffer.concat(chunks).toString("utf8") };
}

/**
 * A signal for a clean-up call (kill, remove): on a hung engine the call is given up after this
 * long, and the next run reaps what is left, by label.
 */
export const cleanupSignal = () => AbortSignal.timeout(15_000);

/** A timer that never keeps the process alive on its own. */
export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
