import { describe, expect, it } from "vitest";
import { loadRuntimes } from "../../harness/runtimes/registry.js";
import { itScenario, runScenario, tempDir } from "../helpers/harness.js";

/**
 * An app that writes ~200 MB of log and answers with 32 MB bodies: the harness keeps the head and
 * tail of the log (counting every line and still scanning each for the signature) and the start
 * of each body, and its own memory stays flat.
 */
describe("caps on what a cell can make the harness hold", () => {
  it("keeps ~200 MB of log and 32 MB bodies out of the harness's memory", async () => {
    const out = await tempDir("caps");
    const scenario = (app: string) =>
      itScenario(
        "it-caps",
        `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [true]
workers: 1
apps: [${app}]
`,
        "3.11",
      );
    // The env first (its lock, downloads and image, with a plain app), and the adapters' code:
    // in a fresh cache this test may be the first to need the env, and what building it holds is
    // not what the cell's output makes the harness hold (63 MB measured alone; 165 and 174 MB in
    // two suite runs, where the env may have been built inside the measurement).
    await runScenario(scenario("plain"), out);
    await loadRuntimes();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    let records: Awaited<ReturnType<typeof runScenario>>["records"];
    try {
      ({ records } = await runScenario(scenario("floods"), out));
    } finally {
      clearInterval(sampler);
    }
    const r = records[0];
    expect(r?.evidence.totalLogLines).toBeGreaterThanOrEqual(200_000);
    expect(r?.evidence.logTail.length).toBeLessThanOrEqual(40);
    expect(r?.evidence.requests).toBeGreaterThan(0);
    expect(r?.evidence.statusCounts["200"]).toBe(r?.evidence.requests);
    // The harness read ~200 MB of log and was sent far more body bytes than it kept.
    expect((peak - baseline) / 2 ** 20).toBeLessThan(150);
  }, 600_000);
});
