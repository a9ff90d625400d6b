import type Docker from "dockerode";
import { ConfigError } from "../../core/errors.js";
import { pingWithin } from "./docker-engine.js";

/** How long the engine may go without answering a ping before a run stops: REPRO_MATRIX_ENGINE_TIMEOUT seconds, else 60. */
export function engineSilenceLimitMs(env = process.env): number {
  const value = env.REPRO_MATRIX_ENGINE_TIMEOUT;
  if (value === undefined || value === "") return 60_000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new ConfigError(`REPRO_MATRIX_ENGINE_TIMEOUT: "${value}" is not a number of seconds (e.g. 60); unset it for the default`);
  return seconds * 1000;
}

/**
 * Pings the engine every few seconds while a run uses it, and calls `onSilent` once when no ping
 * has been answered for `silenceMs`. A hung engine (a stopped or deadlocked dockerd) answers no
 * call: without this, a run waits on its calls for ever. An engine that is gone (connection
 * refused) fails calls at once and needs no watching. Returns the function that stops watching.
 */
export function watchEngine(docker: Docker, silenceMs: number, onSilent: (silentForMs: number) => void): () => void {
  const everyMs = Math.min(5000, Math.max(250, silenceMs / 4));
  let lastAnswer = performance.now();
  let pinging = false;
  let fired = false;
  const timer = setInterval(() => {
    const silentFor = performance.now() - lastAnswer;
    if (!fired && silentFor >= silenceMs) {
      fired = true;
      clearInterval(timer);
      onSilent(silentFor);
      return;
    }
    if (pinging) return;
    pinging = true;
    pingWithin(docker, everyMs)
      .then(() => {
        lastAnswer = performance.now();
      })
      .catch(() => undefined)
      .finally(() => {
        pinging = false;
      });
  }, everyMs);
  // Never what keeps the process alive.
  timer.unref();
  return () => clearInterval(timer);
}
