import { access, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, tempDir, writeConfig } from "../helpers/harness.js";

/**
 * A signature the checks accept (one .* on each side of a word), and a server whose log is
 * endless 110 KB lines that almost match it: JavaScript's backtracking engine takes minutes on
 * each (every split between the two .*), during which the CLI could not even see Ctrl-C.
 */
const SCENARIO = `scenario: it-hostile-lines
packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
python:
  "3.11": { base: "debian:bookworm" }
onlyBinary: [uvloop]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 1
apps: [hostile-lines]
signatures: ["Error.*Event.*:X!"]
timeouts: { bootSeconds: 120, cellSeconds: 180, stopSeconds: 3 }
`;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Until the fixture has marked its socket folder (its flood has begun); false if the run ended first. */
async function floodBegun(tmp: string, ended: () => boolean): Promise<boolean> {
  while (!ended()) {
    for (const n of (await readdir(tmp)).filter((n) => n.startsWith("rm-sock-"))) if (await exists(join(tmp, n, "flooding"))) return true;
    await sleep(200);
  }
  return false;
}

describe("log lines built to stall a backtracking matcher", () => {
  it("Ctrl-C while they pour in: exit 130 at once", async () => {
    const dir = await tempDir("hostile-lines");
    // The harness's socket folders land here, where the fixture's mark can be seen.
    const tmp = join(dir, "tmp");
    await mkdir(tmp);
    const config = await writeConfig(dir, SCENARIO);
    const child = execa("node", [BIN, "run", "--runtime", "docker", "--config", config, "--out", join(dir, "reports")], {
      reject: false,
      env: { TMPDIR: tmp },
      timeout: 400_000,
    });
    let ended = false;
    void child.finally(() => {
      ended = true;
    });
    expect(await floodBegun(tmp, () => ended), "the fixture never started its flood").toBe(true);
    // Lines have been arriving for a while: the collector is busy with them, not idle.
    await sleep(3000);
    let seenMs: number | undefined;
    const sent = performance.now();
    child.stderr?.on("data", (b: Buffer) => {
      if (seenMs === undefined && b.toString().includes("interrupted: stopping servers")) seenMs = performance.now() - sent;
    });
    child.kill("SIGINT");
    const r = await child;
    const exitMs = performance.now() - sent;
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.exitCode, r.stderr).toBe(130);
    // Hang guards, not speed tests: a backtracking matcher would see the signal minutes later.
    // The figures are printed for the README's reliability section.
    expect(seenMs, r.stderr).toBeLessThan(30_000);
    expect(exitMs).toBeLessThan(60_000);
    process.stdout.write(`hostile lines: Ctrl-C seen after ${Math.round(seenMs ?? -1)} ms, exit 130 after ${Math.round(exitMs)} ms\n`);
  }, 600_000);
});
