import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../harness/core/errors.js";
import { engineSilenceLimitMs, watchEngine } from "../../harness/runtimes/docker/engine-watchdog.js";

/** An engine whose ping answers or hangs, as the test says; a hung ping still ends on its abort signal. */
function fakeEngine(answers: () => boolean): Docker {
  const ping = (o: { abortSignal: AbortSignal }) =>
    new Promise((resolve, reject) => {
      if (answers()) resolve("OK");
      else o.abortSignal.addEventListener("abort", () => reject(o.abortSignal.reason), { once: true });
    });
  return { ping } as unknown as Docker;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("engine watchdog", () => {
  it("calls onSilent once when the engine has answered no ping for the limit", async () => {
    const calls: number[] = [];
    const stop = watchEngine(
      fakeEngine(() => false),
      400,
      (ms) => calls.push(ms),
    );
    try {
      await sleep(1200);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toBeGreaterThanOrEqual(400);
    } finally {
      stop();
    }
  });

  it("stays quiet while the engine answers, and counts the silence from its last answer", async () => {
    let answering = true;
    const calls: number[] = [];
    const stop = watchEngine(
      fakeEngine(() => answering),
      400,
      (ms) => calls.push(ms),
    );
    try {
      await sleep(900);
      expect(calls).toEqual([]);
      answering = false;
      await sleep(1000);
      expect(calls).toHaveLength(1);
    } finally {
      stop();
    }
  });

  it("takes its limit from REPRO_MATRIX_ENGINE_TIMEOUT (seconds), else 60 s; anything else is a one-line error", () => {
    expect(engineSilenceLimitMs({})).toBe(60_000);
    expect(engineSilenceLimitMs({ REPRO_MATRIX_ENGINE_TIMEOUT: "5" })).toBe(5_000);
    expect(engineSilenceLimitMs({ REPRO_MATRIX_ENGINE_TIMEOUT: "0.5" })).toBe(500);
    for (const bad of ["soon", "0", "-3"])
      expect(() => engineSilenceLimitMs({ REPRO_MATRIX_ENGINE_TIMEOUT: bad })).toThrow(
        new ConfigError(`REPRO_MATRIX_ENGINE_TIMEOUT: "${bad}" is not a number of seconds (e.g. 60); unset it for the default`),
      );
  });
});
