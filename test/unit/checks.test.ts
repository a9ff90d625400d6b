import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../harness/cell/record.js";
import { type CheckFacts, describeCheck, judgeChecks, scenarioChecks, watchLines } from "../../harness/classify/checks.js";
import { classify, type RunFacts } from "../../harness/classify/classify.js";
import type { Check } from "../../harness/config/schema.js";
import { LogCollector } from "../../harness/evidence/log-collector.js";
import type { ProbeSummary } from "../../harness/probe/probe.js";

const probes = (over: Partial<ProbeSummary> = {}): ProbeSummary => ({
  requests: 16,
  statusCounts: { 200: 16 },
  connectionErrors: {},
  pidsServed: [11, 12],
  unexpected: [],
  workerMemory: [],
  ...over,
});

/** A cell that booted, probed and stopped, whose log is `lines` per phase. */
function judged(checks: Check[], lines: Partial<Record<string, string[]>> = {}, over: Partial<CheckFacts> = {}) {
  const logs = new LogCollector([]);
  const watches = watchLines(checks, logs);
  for (const [phase, texts] of Object.entries(lines)) {
    logs.phase = phase as LogCollector["phase"];
    for (const t of texts ?? []) logs.write("stderr", `${t}\n`);
  }
  const facts: CheckFacts = {
    readiness: { state: "ready", afterMs: 1234 },
    completed: new Set(["boot", "probe", "shutdown"]),
    stepPhases: [],
    probes: probes(),
    stepProbes: [],
    ...over,
  };
  return judgeChecks(checks, watches, facts);
}

const only = (r: CheckResult[]) => {
  expect(r).toHaveLength(1);
  return r[0] as CheckResult;
};

describe("checks", () => {
  it("signature: fires on a matching line in its place, with the lines; quiet elsewhere", () => {
    const log = { boot: ["RuntimeError: boom"], shutdown: ["ok"] };
    expect(only(judged([{ signature: "RuntimeError" }], log))).toEqual({
      check: "signature /RuntimeError/",
      result: "fired",
      seen: "in boot logs (1 line)",
      lines: [{ n: 1, stream: "stderr", phase: "boot", text: "RuntimeError: boom" }],
    });
    expect(only(judged([{ signature: "RuntimeError", phase: "shutdown" }], log))).toEqual({
      check: "signature /RuntimeError/ in shutdown",
      result: "quiet",
      seen: "no line in shutdown",
    });
  });

  it("missingLine: fires when no line matched in its place, once the cell went through it", () => {
    const check: Check = { missingLine: "Worker exiting", phase: "shutdown" };
    expect(only(judged([check], { shutdown: ["[7] [INFO] Worker exiting (pid: 7)"] }))).toMatchObject({
      result: "quiet",
      seen: "1 line in shutdown",
    });
    // The line came, but in another phase than the one it was expected in.
    expect(only(judged([check], { probe: ["[7] [INFO] Worker exiting (pid: 7)"] }))).toEqual({
      check: "missingLine /Worker exiting/ in shutdown",
      result: "fired",
      seen: "no line in shutdown",
    });
  });

  it("missingLine: is not judged where the cell never got: a crashed boot, a cut-off phase", () => {
    const check: Check = { missingLine: "Worker exiting", phase: "shutdown" };
    expect(only(judged([check], {}, { readiness: { state: "exited", afterMs: 10, exit: { exitCode: 3, killed: false } } }))).toMatchObject({
      result: "not-judged",
      seen: "the server never answered (exited)",
    });
    expect(only(judged([check], {}, { completed: new Set(["boot", "probe"]) }))).toMatchObject({
      result: "not-judged",
      seen: "the cell did not complete shutdown",
    });
    // Without a place: the whole run, which the probe phase is part of.
    expect(only(judged([{ missingLine: "Worker exiting" }], {}, { completed: new Set(["boot", "shutdown"]) }))).toMatchObject({
      result: "not-judged",
      seen: "the cell did not complete probe",
    });
  });

  it("line checks in a step look at that step's phase only", () => {
    const phase = "step 2 (HUP master)";
    const facts = { stepPhases: ["step 1 (probe)", phase], completed: new Set(["boot", "step 1 (probe)", phase, "shutdown"]) };
    const log = { [phase]: ["[1] [INFO] Booting worker with pid: 9"] };
    expect(judged([{ missingLine: "Booting worker", step: 2 }], log, facts)[0]).toMatchObject({
      result: "quiet",
      seen: `1 line in ${phase}`,
    });
    expect(judged([{ missingLine: "Booting worker", step: 1 }], log, facts)[0]).toMatchObject({
      result: "fired",
      seen: "no line in step 1 (probe)",
    });
    expect(describeCheck({ missingLine: "Booting worker", step: 2 })).toBe("missingLine /Booting worker/ in step 2");
  });

  it("workersServed: the distinct pids that answered, in the whole cell or in one step", () => {
    expect(only(judged([{ workersServed: { lessThan: 2 } }]))).toEqual({
      check: "workersServed < 2",
      result: "quiet",
      seen: "2 served",
      value: 2,
    });
    const step = probes({ pidsServed: [13] });
    const facts = { stepPhases: ["step 1 (probe)"], stepProbes: [step], completed: new Set(["boot", "step 1 (probe)", "shutdown"]) };
    expect(only(judged([{ workersServed: { lessThan: 2 }, step: 1 }], {}, facts))).toMatchObject({ result: "fired", value: 1 });
  });

  it("status: counts exact statuses, classes, answerless requests and error codes; fires when every bound holds", () => {
    const p = probes({ statusCounts: { 200: 10, 500: 4, 503: 1 }, connectionErrors: { UND_ERR_SOCKET: 2, TIMEOUT: 1 } });
    const check = (status: Record<string, object>) => only(judged([{ status } as Check], {}, { probes: p }));
    expect(check({ "500": { atLeast: 1 } })).toEqual({ check: "status 500 ≥ 1", result: "fired", seen: "4×500" });
    expect(check({ "5xx": { equals: 5 }, error: { equals: 3 }, UND_ERR_SOCKET: { moreThan: 1 } })).toMatchObject({
      result: "fired",
      seen: "5×5xx, 3×error, 2×UND_ERR_SOCKET",
    });
    expect(check({ "500": { atLeast: 1 }, TIMEOUT: { moreThan: 1 } })).toMatchObject({ result: "quiet" });
  });

  it("bootSeconds, shutdownSeconds, workerRssMiB: the measured value against the bound, or not judged without one", () => {
    expect(only(judged([{ bootSeconds: { moreThan: 1 } }]))).toEqual({
      check: "bootSeconds > 1",
      result: "fired",
      seen: "first answer after 1.2 s",
      value: 1.2,
    });
    expect(only(judged([{ shutdownSeconds: { atLeast: 5 } }], {}, { shutdownMs: 5200 }))).toMatchObject({ result: "fired", value: 5.2 });
    expect(only(judged([{ shutdownSeconds: { atLeast: 5 } }]))).toMatchObject({
      result: "not-judged",
      seen: "the server was not running when it was stopped",
    });
    const sample = [
      { pid: 11, rssKb: 30 * 1024 },
      { pid: 12, rssKb: 90 * 1024 },
    ];
    expect(only(judged([{ workerRssMiB: { moreThan: 64 } }], {}, { workerSample: sample }))).toEqual({
      check: "workerRssMiB > 64",
      result: "fired",
      seen: "largest worker 90 MiB (pid 12, of 2)",
      value: 90,
    });
    expect(only(judged([{ workerRssMiB: { moreThan: 64 } }], {}, { workerSample: [] }))).toMatchObject({ result: "not-judged" });
  });

  it("puts signatures: first, as signature checks, and only when the scenario states checks", () => {
    expect(scenarioChecks({ signatures: ["A"] })).toBeUndefined();
    expect(scenarioChecks({ signatures: ["A"], checks: [{ bootSeconds: { moreThan: 1 } }] })).toEqual([
      { signature: "A" },
      { bootSeconds: { moreThan: 1 } },
    ]);
  });
});

describe("classify with checks and steps", () => {
  const logs = new LogCollector([]).finish();
  const base: RunFacts = {
    readiness: { state: "ready", afterMs: 900 },
    probes: probes(),
    logs,
    workersAsked: 2,
    expectedStatus: 200,
    cellTimedOut: false,
  };
  const check = (
    result: CheckResult["result"],
    name = "missingLine /Worker exiting/ in shutdown",
    seen = "no line in shutdown",
  ): CheckResult => ({
    check: name,
    result,
    seen,
  });

  it("is reproduced when any check fired, naming the first and counting the rest", () => {
    expect(
      classify({ ...base, checks: [check("quiet"), check("fired"), check("fired", "bootSeconds > 5", "first answer after 6 s")] }),
    ).toEqual({
      outcome: "reproduced",
      reason: "missingLine /Worker exiting/ in shutdown: no line in shutdown (and 1 more check)",
    });
    // A signature check reads as the signatures always have.
    expect(classify({ ...base, checks: [check("fired", "signature /X/", "in probe logs (2 lines)")] }).reason).toBe(
      "signature in probe logs (2 lines)",
    );
  });

  it("keeps boot-failure when the server never answered and no check could fire", () => {
    const r = classify({
      ...base,
      readiness: { state: "exited", afterMs: 10, exit: { exitCode: 3, killed: false } },
      checks: [check("not-judged", undefined, "the server never answered (exited)")],
    });
    expect(r.outcome).toBe("boot-failure");
  });

  it("is other-failure, not clean, when a check could not be judged or a step did not do what it says", () => {
    expect(
      classify({ ...base, checks: [check("not-judged", "shutdownSeconds > 1", "the server was not running when it was stopped")] }),
    ).toEqual({
      outcome: "other-failure",
      reason: "check shutdownSeconds > 1 not judged: the server was not running when it was stopped",
    });
    const step = {
      phase: "step 2 (wait for /x/)",
      done: false,
      detail: "a line matching /x/: not seen within 1 s",
      atMs: 10,
      tookMs: 1000,
    };
    expect(classify({ ...base, steps: [step] })).toEqual({
      outcome: "other-failure",
      reason: "step 2 (wait for /x/): a line matching /x/: not seen within 1 s",
    });
  });

  it("is clean when every check stayed quiet and every step was done, saying how many steps", () => {
    const step = { phase: "step 1 (probe)", done: true, detail: "16 requests", atMs: 10, tookMs: 100 };
    expect(classify({ ...base, checks: [check("quiet")], steps: [step] })).toEqual({
      outcome: "clean",
      reason: "16/16 × 200 from 2/2 workers, 1 step done",
    });
  });
});
