import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { CellRecord, StepRecord } from "../../harness/cell/record.js";
import { itScenario, runScenario, tempDir } from "../helpers/harness.js";

// Every kind of step against real servers: signals to Gunicorn's master and to a worker, requests
// in flight while the master is told to stop, waits for a line or a time, and probes again.
const scenario = (name: string, app: string, steps: string, extra = "", preload = "[false]") =>
  itScenario(
    name,
    `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: ${preload}
workers: 2
apps: [${app}]
steps:
${steps}${extra}`,
    "3.11",
  );

const stepsOf = (r: CellRecord) => r.evidence.steps as StepRecord[];
const pidsOf = (s: StepRecord | undefined) => s?.requests?.pidsServed ?? [];
/** The pid a step's detail names ("HUP sent to the master, pid 7"). */
const pidIn = (s: StepRecord | undefined) => Number(/pid (\d+)/.exec(s?.detail ?? "")?.[1]);

describe("steps against real servers", () => {
  let out: string;
  const runs: { kill?: ReturnType<typeof runScenario> } = {};
  beforeAll(async () => {
    out = await tempDir("steps");
  });

  it("HUP to the master: new workers with new pids; waits see the lines the signal caused; requests, a sleep, a probe again", async () => {
    const run = await runScenario(
      scenario(
        "it-steps-hup",
        "plain",
        `  - probe: {}
  - { signal: HUP }
  - wait: { line: "Finished server process", count: 2 }
  - { sleep: 1 }
  - probe: {}
  - { requests: 6 }
`,
      ),
      out,
    );
    const r = run.records[0] as CellRecord;
    expect(r.outcome, r.reason).toBe("clean");
    expect(r.reason).toMatch(/, 6 steps done$/);
    const steps = stepsOf(r);
    expect(steps.map((s) => s.phase)).toEqual([
      "step 1 (probe)",
      "step 2 (HUP master)",
      "step 3 (wait for 2 × /Finished server process/)",
      "step 4 (sleep 1 s)",
      "step 5 (probe)",
      "step 6 (6 requests)",
    ]);
    expect(steps.every((s) => s.done)).toBe(true);
    expect(steps[1]?.detail).toMatch(/^HUP sent to the master, pid \d+$/);
    expect(steps[2]?.detail).toMatch(/^2 of 2 lines matching \/Finished server process\/ by [\d.]+ s$/);
    // Gunicorn reloads by replacing every worker: once both old ones have finished, the second
    // probe meets none of the first's.
    const before = pidsOf(steps[0]);
    const after = pidsOf(steps[4]);
    expect(before).toHaveLength(2);
    expect(after).toHaveLength(2);
    expect(after.filter((p) => before.includes(p))).toEqual([]);
    expect(steps[4]?.workers).toEqual(expect.arrayContaining(after));
    // The sleep slept (a lower bound, not a timing); the requests were answered.
    expect(steps[3]?.tookMs).toBeGreaterThanOrEqual(1000);
    expect(steps[5]?.requests).toMatchObject({ requests: 6, statusCounts: { 200: 6 } });
    // The lines carry their step as their phase: the new workers' boot lines are the HUP's.
    // (The first two come before the HUP: at boot, or during the first probe for a late worker.)
    const booted = r.evidence.logTail.filter((l) => /Booting worker/.test(l.text)).map((l) => l.phase);
    const hup = ["step 2 (HUP master)", "step 3 (wait for 2 × /Finished server process/)"];
    expect(booted).toHaveLength(4);
    expect(booted.slice(0, 2).every((p) => p === "boot" || p === "step 1 (probe)")).toBe(true);
    expect(booted.slice(2).every((p) => hup.includes(p))).toBe(true);
    expect(r.evidence.pidsServed.length).toBe(4);
  });

  it("TTIN adds a worker, TTOU takes one away; a workersServed check sees more workers than Gunicorn was asked for", async () => {
    const run = await runScenario(
      scenario(
        "it-steps-ttin",
        "plain",
        `  - probe: {}
  - { signal: TTIN }
  - wait: { line: "Booting worker" }
  - probe: { workers: 3 }
  - { signal: TTOU }
  - wait: { line: "Finished server process" }
  - probe: {}
`,
        // Started with 2 workers: more than 2 answering the fourth step is the TTIN worker's doing,
        // and the seventh step's 2 are not more than 2.
        `checks:
  - { workersServed: { moreThan: 2 }, step: 4 }
  - { workersServed: { moreThan: 2 }, step: 7 }
`,
      ),
      out,
    );
    const r = run.records[0] as CellRecord;
    const checks = r.evidence.checks ?? [];
    expect(checks.filter((c) => c.check.startsWith("workersServed")).map((c) => [c.check, c.result, c.value])).toEqual([
      ["workersServed > 2 in step 4", "fired", 3],
      ["workersServed > 2 in step 7", "quiet", 2],
    ]);
    expect(r.outcome, r.reason).toBe("reproduced");
    const steps = stepsOf(r);
    expect(steps.every((s) => s.done)).toBe(true);
    // Once the new worker has said it boots, the master has three; a probe hears from all three.
    expect(steps[2]?.workers).toHaveLength(3);
    expect(pidsOf(steps[3])).toHaveLength(3);
    // TTOU: the worker that finished is one of the three, and does not answer again.
    const gone = Number(/\[(\d+)\] \[INFO\] Finished server process/.exec(r.evidence.logTail.map((l) => l.text).join("\n"))?.[1]);
    expect(pidsOf(steps[3])).toContain(gone);
    expect(pidsOf(steps[6])).toHaveLength(2);
    expect(pidsOf(steps[6])).not.toContain(gone);
  });

  // Two cells of one env: they run one after the other in a container kept for the env, where
  // the master is found by the pid file its wrapper wrote (the other tests' lone cells have a
  // container each, where the master is the init's child).
  it.each([false, true])(
    "KILL to a worker: Gunicorn replaces it; TERM to the master with requests in flight: they are answered, then it exits (preload %s)",
    async (preload) => {
      runs.kill ??= runScenario(
        scenario(
          "it-steps-kill",
          "answers-slowly",
          `  - probe: {}
  - { signal: KILL, to: worker }
  - wait: { line: "Booting worker" }
  - probe: {}
  - { requests: 2, path: /slow, during: { signal: TERM, to: master } }
`,
          "",
          "[false, true]",
        ),
        out,
      );
      const run = await runs.kill;
      expect(run.records).toHaveLength(2);
      const r = run.records.find((c) => c.preload === preload) as CellRecord;
      expect(r.outcome, r.reason).toBe("clean");
      const steps = stepsOf(r);
      expect(steps.every((s) => s.done)).toBe(true);
      const killed = pidIn(steps[1]);
      expect(steps[1]?.detail).toMatch(/^KILL sent to the worker, pid \d+$/);
      expect(pidsOf(steps[0])).toContain(killed);
      expect(pidsOf(steps[3])).toHaveLength(2);
      expect(pidsOf(steps[3])).not.toContain(killed);
      // Both requests were sent and unanswered when the master got TERM, and a graceful stop answered them.
      expect(steps[4]?.requests).toMatchObject({ requests: 2, inFlightAtSignal: 2, statusCounts: { 200: 2 } });
      expect(steps[4]?.detail).toMatch(
        /^TERM sent to the master, pid \d+ with 2 of 2 requests in flight; answers: 2×200; the server exited with code 0 [\d.]+ s later$/,
      );
      // The master exited on its own, before the harness's stop: no workers left, a clean exit.
      expect(steps[4]?.workers).toEqual([]);
      expect(r.evidence.exit, r.evidence.logTail.map((l) => `${l.phase} ${l.text}`).join("\n")).toEqual({ exitCode: 0, killed: false });
    },
  );

  it("on the local runtime too: signals reach the master's process and its workers on this host", async () => {
    const run = await runScenario(
      scenario(
        "it-steps-local",
        "plain",
        `  - probe: {}
  - { signal: HUP }
  - wait: { line: "Finished server process", count: 2 }
  - probe: {}
  - { signal: KILL, to: worker }
  - wait: { line: "Booting worker" }
  - { signal: TTIN }
  - wait: { line: "Booting worker" }
  - probe: { workers: 3 }
  - { signal: TERM }
`,
      ),
      out,
      { runtime: "local" },
    );
    const r = run.records[0] as CellRecord;
    expect(r.runtime).toBe("local");
    expect(r.outcome, r.reason).toBe("clean");
    const steps = stepsOf(r);
    expect(pidsOf(steps[3]).filter((p) => pidsOf(steps[0]).includes(p))).toEqual([]);
    // The worker killed is one the master had, and it is gone from the master's children after.
    const killed = pidIn(steps[4]);
    expect(steps[3]?.workers).toContain(killed);
    expect(steps[5]?.workers).not.toContain(killed);
    expect(steps[7]?.workers).toHaveLength(3);
    expect(pidsOf(steps[8])).toHaveLength(3);
    expect(steps[9]?.detail).toMatch(/^TERM sent to the master, pid \d+; the server exited with code 0 [\d.]+ s later$/);
    expect(steps[9]?.workers).toEqual([]);
  });

  it("the README's example runs as it says: on uvicorn 0.39 and gunicorn 23, clean", async () => {
    const readme = await readFile("docs/checks-and-steps.md", "utf8");
    const example = /# Checks and steps[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1] as string;
    const text = itScenario(
      "it-steps-readme",
      `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [answers-slowly]
`,
      "3.11",
    ).replace(/^signatures:.*\n/m, example);
    const r = (await runScenario(text, out)).records[0] as CellRecord;
    expect(r.outcome, r.reason).toBe("clean");
    expect(r.evidence.checks?.map((c) => c.result)).toEqual(["quiet", "quiet", "quiet", "quiet"]);
    expect(stepsOf(r).map((s) => s.done)).toEqual([true, true, true, true, true]);
    expect(stepsOf(r)[4]?.requests).toMatchObject({ requests: 4, inFlightAtSignal: 4, statusCounts: { 200: 4 } });
  });

  it("a wait for a line that never comes ends after its time: the step is not done, and a missing-line check on it fires", async () => {
    const run = await runScenario(
      scenario(
        "it-steps-wait",
        "plain",
        `  - probe: {}
  - wait: { line: "never printed", timeoutSeconds: 1 }
`,
        `checks:
  - { missingLine: "never printed", step: 2 }
`,
      ),
      out,
    );
    const r = run.records[0] as CellRecord;
    expect(r.outcome).toBe("reproduced");
    expect(r.reason).toBe("missingLine /never printed/ in step 2: no line in step 2 (wait for /never printed/)");
    expect(stepsOf(r)[1]).toMatchObject({ done: false, detail: "a line matching /never printed/: not seen within 1 s" });
  });
});
