import { beforeAll, describe, expect, it } from "vitest";
import type { CellRecord, CheckResult } from "../../harness/cell/record.js";
import { itScenario, runScenario, tempDir } from "../helpers/harness.js";

// Every kind of check against real servers (real engine, uvicorn and gunicorn from PyPI): each
// fixture makes one check fire, and every cell records every check. The signature comes from
// `signatures:` (the shorthand), the rest from `checks:`.
const SCENARIO = itScenario(
  "it-checks",
  `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [plain, prints-signature, hangs, hangs-at-shutdown, boots-slowly, holds-memory, fails-import]
checks:
  - { missingLine: "Finished server process", phase: shutdown }
  - workersServed: { lessThan: 2 }
  - status: { "500": { atLeast: 1 } }
  - bootSeconds: { moreThan: 5 }
  - shutdownSeconds: { atLeast: 4 }
  - workerRssMiB: { moreThan: 80 }
`,
  "3.11",
);

/** The checks in the order every cell records them: the signature first. */
const CHECKS = [
  "signature /RuntimeError: Event loop is closed/",
  "missingLine /Finished server process/ in shutdown",
  "workersServed < 2",
  "status 500 ≥ 1",
  "bootSeconds > 5",
  "shutdownSeconds ≥ 4",
  "workerRssMiB > 80",
];

describe("checks against real servers", () => {
  let run: Awaited<ReturnType<typeof runScenario>>;
  const cell = (app: string) => run.records.find((r) => r.app === app) as CellRecord;
  const checks = (app: string) => cell(app).evidence.checks as CheckResult[];
  const result = (app: string, check: string) => checks(app).find((c) => c.check === check) as CheckResult;
  const fired = (app: string) =>
    checks(app)
      .filter((c) => c.result === "fired")
      .map((c) => c.check);

  beforeAll(async () => {
    run = await runScenario(SCENARIO, await tempDir("checks"));
  });

  it("records every check in every cell, in order", () => {
    expect(run.records).toHaveLength(7);
    for (const r of run.records) expect(r.evidence.checks?.map((c) => c.check)).toEqual(CHECKS);
  });

  it("plain: clean, every check quiet, each saying what it measured", () => {
    expect(cell("plain").outcome, cell("plain").reason).toBe("clean");
    expect(fired("plain")).toEqual([]);
    expect(result("plain", "missingLine /Finished server process/ in shutdown")).toMatchObject({
      result: "quiet",
      seen: "2 lines in shutdown",
    });
    expect(result("plain", "workersServed < 2")).toMatchObject({ result: "quiet", value: 2 });
    expect(result("plain", "status 500 ≥ 1")).toMatchObject({ result: "quiet", seen: "0×500" });
    // A plain worker is some tens of MiB; the value is the harness's reading of /proc, not the app's.
    const rss = result("plain", "workerRssMiB > 80");
    expect(rss.result).toBe("quiet");
    expect(rss.value).toBeGreaterThan(5);
    // The time checks hold what was measured to the bound, whatever this machine's speed.
    for (const [name, bound] of [
      ["bootSeconds > 5", (v: number) => v > 5],
      ["shutdownSeconds ≥ 4", (v: number) => v >= 4],
    ] as const) {
      const c = result("plain", name);
      expect(c.result).toBe(bound(c.value as number) ? "fired" : "quiet");
    }
    expect(result("plain", "bootSeconds > 5").value).toBeCloseTo(cell("plain").evidence.readiness.afterMs / 1000, 0);
  });

  it("signature (the signatures: shorthand): reproduced, with the lines, read as before", () => {
    const r = cell("prints-signature");
    expect(r.outcome).toBe("reproduced");
    expect(r.reason).toMatch(/^signature in (boot\/)?probe logs \(\d+ lines?\)/);
    const sig = result("prints-signature", CHECKS[0] as string);
    expect(sig.result).toBe("fired");
    // It logs the signature on every request, the readiness requests' too.
    expect(sig.lines?.[0]).toMatchObject({ stream: "stderr", text: "RuntimeError: Event loop is closed" });
    expect(r.evidence.signatureMatches.length).toBeGreaterThan(0);
  });

  it("status counts: fired by its 500s, counted from the probes", () => {
    const c = result("prints-signature", "status 500 ≥ 1");
    expect(c.result).toBe("fired");
    expect(c.seen).toBe(`${cell("prints-signature").evidence.statusCounts["500"]}×500`);
  });

  it("workers served: a worker that never answers leaves 1 of 2, and the check fires", () => {
    const r = cell("hangs");
    expect(r.outcome).toBe("reproduced");
    expect(result("hangs", "workersServed < 2")).toMatchObject({ result: "fired", value: 1, seen: "1 served" });
  });

  it("missing line and shutdown time: workers that never finish their shutdown never say 'Finished server process'", () => {
    const r = cell("hangs-at-shutdown");
    expect(r.outcome).toBe("reproduced");
    expect(r.reason).toMatch(/^missingLine \/Finished server process\/ in shutdown: no line in shutdown/);
    expect(result("hangs-at-shutdown", "missingLine /Finished server process/ in shutdown")).toEqual({
      check: "missingLine /Finished server process/ in shutdown",
      result: "fired",
      seen: "no line in shutdown",
    });
    // The grace is 5 s (stopSeconds), and they are killed only once it has passed.
    const shutdown = result("hangs-at-shutdown", "shutdownSeconds ≥ 4");
    expect(shutdown.result).toBe("fired");
    expect(shutdown.value).toBeGreaterThanOrEqual(5);
  });

  it("boot time: a 6 s import makes the first answer come after more than 5 s", () => {
    expect(cell("boots-slowly").outcome).toBe("reproduced");
    const c = result("boots-slowly", "bootSeconds > 5");
    expect(c.result).toBe("fired");
    expect(c.seen).toMatch(/^first answer after \d+(\.\d)? s$/);
  });

  it("memory: workers holding 120 MiB are read from /proc above the bound", () => {
    expect(cell("holds-memory").outcome).toBe("reproduced");
    const c = result("holds-memory", "workerRssMiB > 80");
    expect(c.result).toBe("fired");
    expect(c.value).toBeGreaterThan(120);
    expect(c.seen).toMatch(/^largest worker [\d.]+ MiB \(pid \d+, of 2\)$/);
  });

  it("a server that never booted stays boot-failure: a missing line or a bound cannot be judged there", () => {
    const r = cell("fails-import");
    expect(r.outcome).toBe("boot-failure");
    expect(fired("fails-import")).toEqual([]);
    expect(result("fails-import", "missingLine /Finished server process/ in shutdown")).toMatchObject({ result: "not-judged" });
    expect(result("fails-import", "bootSeconds > 5").result).toBe("not-judged");
    expect(result("fails-import", "workerRssMiB > 80").result).toBe("not-judged");
  });
});
