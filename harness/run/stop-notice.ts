import type { Runtime, StartedServer } from "../runtimes/runtime.js";

/**
 * `runtime`, whose servers call `atStop` as their stop begins. A run gives a cell's turn back
 * there: what is left of a cell is the server's shutdown and its removal, mostly waiting (a
 * worker that never exits holds a cell for the whole grace period), so the next cell may boot
 * meanwhile. Outside run-cell.ts on purpose: when a turn ends is the run's business, not the
 * experiment's, and run-cell.ts is hashed into every cell key.
 */
export function withStopNotice(runtime: Runtime, atStop: () => void): Runtime {
  return {
    name: runtime.name,
    ...(runtime.machine ? { machine: runtime.machine } : {}),
    ...(runtime.place ? { place: runtime.place } : {}),
    start: async (spec, signal) => noticing(await runtime.start(spec, signal), atStop),
    ...(runtime.retire ? { retire: (image: string) => runtime.retire?.(image) ?? Promise.resolve() } : {}),
    exec: (image, command, signal) => runtime.exec(image, command, signal),
  };
}

const noticing = (server: StartedServer, atStop: () => void): StartedServer => ({
  baseUrl: server.baseUrl,
  ...(server.socketPath !== undefined ? { socketPath: server.socketPath } : {}),
  command: server.command,
  ...(server.limits ? { limits: server.limits } : {}),
  exited: server.exited,
  stop: (graceSeconds, signal) => {
    atStop();
    return server.stop(graceSeconds, signal);
  },
  kill: (sig, to, signal) => server.kill(sig, to, signal),
  workers: (signal) => server.workers(signal),
  [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
});
