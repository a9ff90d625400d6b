import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { connectDocker } from "../../harness/runtimes/docker/docker-engine.js";
import { OWNER_PID_LABEL } from "../../harness/runtimes/docker/labels.js";
import { readRecords } from "../../harness/store/jsonl.js";
import { readResultsFile } from "../../harness/store/results-file.js";
import { runScenario, tempDir } from "../helpers/harness.js";

/** One fixture, one cell, on the docker runtime; timeouts short enough that a hang would show. */
const scenario = (name: string, app: string, preload: boolean, bootSeconds: number) => `scenario: ${name}
packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
python:
  "3.11": { base: "debian:bookworm" }
onlyBinary: [uvloop]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [${preload}]
workers: 2
apps: [${app}]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 24, concurrency: 2, coverageSeconds: 3 }
timeouts: { bootSeconds: ${bootSeconds}, requestSeconds: 2, cellSeconds: 40, stopSeconds: 3 }
`;

async function runOne(name: string, app: string, preload: boolean, onStarted?: () => void, bootSeconds = 8): Promise<CellRecord> {
  const { records } = await runScenario(scenario(name, app, preload, bootSeconds), await tempDir(name), {
    onEvent: (e) => {
      if (e.type === "cell-started") onStarted?.();
    },
  });
  return records[0] as CellRecord;
}

/**
 * Servers that misbehave end in a classified outcome within the configured timeouts, never a
 * hang: a worker that never answers, workers that die as soon as they load, a server that never
 * binds, and a container killed while it is being probed.
 */
describe("faults in the server under test", () => {
  it("a worker that hangs without answering: other-failure with timed-out probes and the worker missing, within the deadline", async () => {
    const r = await runOne("it-hangs", "hangs", false);
    expect(r.outcome, r.reason).toBe("other-failure");
    expect(r.evidence.connectionErrors.TIMEOUT).toBeGreaterThan(0);
    expect(r.evidence.pidsServed).toHaveLength(1);
    expect(r.reason).toMatch(/only 1\/2 workers served/);
    expect(r.durationMs).toBeLessThan(40_000);
  }, 120_000);

  it("workers that die silently as they load, and are replaced forever: boot-failure (crash loop), long before the boot timeout", async () => {
    const r = await runOne("it-crash-loop", "crash-loop", false);
    expect(r.outcome, r.reason).toBe("boot-failure");
    expect(r.reason).toMatch(/^workers crash-looping \(0 tracebacks, \d+ worker starts for 2 workers, no HTTP answer\)/);
    expect(r.evidence.readiness.afterMs).toBeLessThan(8_000);
  }, 120_000);

  it("workers that each raise while loading and then stay alive without serving: boot-failure (stalled), long before the boot timeout", async () => {
    const r = await runOne("it-stalls", "stalls", false, undefined, 35);
    expect(r.outcome, r.reason).toBe("boot-failure");
    expect(r.reason).toMatch(
      /^workers stalled \(2 tracebacks for 2 workers, then silence and no HTTP answer\): RuntimeError: fixture stalls/,
    );
    expect(r.evidence.readiness).toMatchObject({ state: "stalled" });
    expect(r.evidence.readiness.afterMs).toBeLessThan(25_000);
  }, 120_000);

  it("a server that never binds: timeout after bootSeconds, never reported as fixed", async () => {
    const r = await runOne("it-never-binds", "never-binds", true);
    expect(r.outcome, r.reason).toBe("timeout");
    expect(r.reason).toMatch(/^no HTTP answer within [89] s$/);
    expect(r.durationMs).toBeLessThan(20_000);
  }, 120_000);

  it("a container killed mid-probe: other-failure with the failed probes and the kill as evidence", async () => {
    const engine = await connectDocker();
    const kill = async () => {
      await new Promise((res) => setTimeout(res, 2500));
      for (const c of await engine.listContainers({ filters: { label: [`${OWNER_PID_LABEL}=${process.pid}`] } }))
        await engine
          .getContainer(c.Id)
          .kill()
          .catch(() => undefined);
    };
    let killing: Promise<void> | undefined;
    const r = await runOne("it-killed", "slow", false, () => {
      killing = kill();
    });
    await killing;
    expect(r.outcome, r.reason).toBe("other-failure");
    expect(Object.keys(r.evidence.connectionErrors).length).toBeGreaterThan(0);
    expect(r.evidence.exit?.killed).toBe(true);
    expect(r.durationMs).toBeLessThan(40_000);
  }, 120_000);

  it("the run interrupted while a cell is probed: that cell gets no verdict, since its probes and shutdown were cut short", async () => {
    // 96 probes of 0.3 s, two at a time: about 15 s of probing, interrupted 4 s in.
    const text = scenario("it-interrupted", "slow", false, 8).replace(
      "probes: { count: 24, concurrency: 2, coverageSeconds: 3 }",
      "probes: { count: 96, concurrency: 2, coverageSeconds: 3 }",
    );
    const dir = await tempDir("it-interrupted");
    const controller = new AbortController();
    const run = runScenario(text, dir, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "cell-started") setTimeout(() => controller.abort(new Error("interrupted")), 4000);
      },
    });
    await expect(run).rejects.toThrow("interrupted");
    // Before, the cut-off probes read as "only 1/2 workers served" (other-failure), or as clean
    // with the shutdown's logs never read, and the verdict went into the table.
    expect(await readResultsFile(join(dir, "it-interrupted", "results.json"))).toBeUndefined();
    expect((await readRecords(join(dir, "it-interrupted", "results.jsonl"))).records).toEqual([]);
  }, 120_000);
});
