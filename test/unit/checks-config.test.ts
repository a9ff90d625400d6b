import { describe, expect, it } from "vitest";
import { parseScenario } from "../../harness/config/load.js";
import { ConfigError } from "../../harness/core/errors.js";
import { MINIMAL } from "../helpers/scenarios.js";

const errorOf = (text: string) => {
  try {
    parseScenario(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
};

const NO_SIGNATURES = MINIMAL.replace(/^signatures:.*\n/m, "");

describe("checks: and steps: in a scenario", () => {
  it("reads every kind of check, each with its own fields", () => {
    const s = parseScenario(`${MINIMAL}checks:
  - { signature: "Traceback", phase: shutdown }
  - { missingLine: "Worker exiting", phase: shutdown }
  - workersServed: { lessThan: 8 }
  - status: { "500": { atLeast: 1 }, 5xx: { atMost: 10 }, error: { equals: 0 }, UND_ERR_SOCKET: { moreThan: 0 } }
  - bootSeconds: { moreThan: 5 }
  - shutdownSeconds: { atLeast: 10 }
  - workerRssMiB: { moreThan: 200 }
`);
    expect(s.checks).toEqual([
      { signature: "Traceback", phase: "shutdown" },
      { missingLine: "Worker exiting", phase: "shutdown" },
      { workersServed: { lessThan: 8 } },
      { status: { "500": { atLeast: 1 }, "5xx": { atMost: 10 }, error: { equals: 0 }, UND_ERR_SOCKET: { moreThan: 0 } } },
      { bootSeconds: { moreThan: 5 } },
      { shutdownSeconds: { atLeast: 10 } },
      { workerRssMiB: { moreThan: 200 } },
    ]);
    // signatures: stays what it was, and is judged as signature checks ahead of these.
    expect(s.signatures).toEqual(["RuntimeError: Event loop is closed"]);
  });

  it("reads every kind of step in order, filling each one's defaults", () => {
    const s = parseScenario(`${MINIMAL}steps:
  - { requests: 20 }
  - { signal: HUP }
  - wait: { line: "Booting worker", count: 2 }
  - { requests: 8, path: /slow, during: { signal: TERM, to: master } }
  - { signal: KILL, to: worker }
  - { sleep: 2 }
  - probe: { workers: 3, coverageSeconds: 5 }
`);
    expect(s.steps).toEqual([
      { requests: 20 },
      { signal: "HUP", to: "master" },
      { wait: { line: "Booting worker", count: 2, timeoutSeconds: 30 } },
      { requests: 8, path: "/slow", during: { signal: "TERM", to: "master", afterSeconds: 0.5 } },
      { signal: "KILL", to: "worker" },
      { sleep: 2 },
      { probe: { workers: 3, coverageSeconds: 5 } },
    ]);
  });

  it("leaves a scenario without them as it was: no checks, no steps", () => {
    const s = parseScenario(MINIMAL);
    expect(s.checks).toBeUndefined();
    expect(s.steps).toBeUndefined();
  });

  it("needs signatures: only when there are no checks", () => {
    expect(parseScenario(`${NO_SIGNATURES}checks: [{ missingLine: "Worker exiting" }]\n`).signatures).toEqual([]);
    expect(errorOf(NO_SIGNATURES)).toBe("matrix.yaml:1: signatures: required field is missing");
    // A misspelt signatures: is still named as such.
    expect(errorOf(MINIMAL.replace("signatures:", "signature:"))).toBe("matrix.yaml:9: signature: unknown field; did you mean signatures?");
  });

  it.each([
    [
      "checks:\n  - { missing: x }\n",
      "matrix.yaml:11: checks.0: a check is a mapping with one of: signature, missingLine, workersServed, status, bootSeconds, shutdownSeconds, workerRssMiB",
    ],
    [
      "checks:\n  - { signature: x, missingLine: y }\n",
      "matrix.yaml:11: checks.0: signature and missingLine in one check; give one per item: signature, missingLine, workersServed, status, bootSeconds, shutdownSeconds, workerRssMiB",
    ],
    [
      'checks:\n  - { missingLine: "Worker exiting", phase: stop }\n',
      'matrix.yaml:11: checks.0.phase: one of "boot", "probe", "shutdown", found "stop"',
    ],
    ['checks:\n  - { missingLine: "(a+)+$" }\n', /^matrix\.yaml:11: checks\.0\.missingLine: "\(a\+\)\+\$" can backtrack catastrophically/],
    [
      "checks:\n  - workersServed: {}\n",
      "matrix.yaml:11: checks.0.workersServed: a bound needs one of lessThan, atMost, moreThan, atLeast, equals",
    ],
    [
      "checks:\n  - workersServed: { lessThan: 2, moreThan: 3 }\n",
      "matrix.yaml:11: checks.0.workersServed: no value meets all of these at once, so the check could never fire",
    ],
    [
      "checks:\n  - workersServed: { lessThan: 2, moreThan: 2 }\n",
      "matrix.yaml:11: checks.0.workersServed: no value meets all of these at once, so the check could never fire",
    ],
    [
      "checks:\n  - workersServed: { fewer: 2 }\n",
      "matrix.yaml:11: checks.0.workersServed.fewer: unknown field (allowed fields are listed in the README)",
    ],
    [
      'checks:\n  - status: { "5OO": { atLeast: 1 } }\n',
      'matrix.yaml:11: checks.0.status.5OO: a status such as "500", a class such as "5xx", "error" (no answer), or an error code such as UND_ERR_SOCKET',
    ],
    ["checks:\n  - status: {}\n", 'matrix.yaml:11: checks.0.status: no status: give one such as { "500": { atLeast: 1 } }'],
    ["checks:\n  - { signature: Traceback, step: 1 }\n", "matrix.yaml:11: checks.0.step: there is no step 1 (steps: has 0)"],
    [
      "steps:\n  - { signal: HUP }\n",
      "matrix.yaml:11: steps: no step sends a request: a cell is clean only when its workers served, so add { probe: {} } or { requests: N }",
    ],
    [
      "steps:\n  - { requests: 2, signal: HUP }\n",
      "matrix.yaml:11: steps.0: requests and signal in one step; give one per item: requests, probe, signal, wait, sleep",
    ],
    [
      "steps:\n  - { requests: 0 }\n",
      "matrix.yaml:11: steps.0.requests: requests sent by the step: a whole number from 1 to 10000 (found 0)",
    ],
    [
      "steps:\n  - { requests: 2 }\n  - { signal: STOP }\n",
      'matrix.yaml:12: steps.1.signal: one of "HUP", "TERM", "INT", "QUIT", "KILL", "TTIN", "TTOU", "USR1", "USR2", "WINCH", found "STOP"',
    ],
    [
      "steps:\n  - { requests: 2 }\n  - { signal: HUP, to: arbiter }\n",
      'matrix.yaml:12: steps.1.to: one of "master", "worker", found "arbiter"',
    ],
    [
      "steps:\n  - { requests: 2 }\n  - { sleep: 0 }\n",
      "matrix.yaml:12: steps.1.sleep: seconds to sleep: a number of seconds above 0, at most 600 (found 0)",
    ],
    [
      'steps:\n  - { requests: 2 }\n  - wait: { line: "" }\n',
      'matrix.yaml:12: steps.1.wait.line: "" matches an empty line, so every cell would count as reproduced; give the text the failure prints',
    ],
    [
      "steps:\n  - { requests: 2 }\n  - { signal: HUP }\nchecks:\n  - { workersServed: { atLeast: 2 }, step: 2 }\n",
      "matrix.yaml:14: checks.0.step: step 2 sends no request; name a requests or probe step",
    ],
    [
      "steps:\n  - { requests: 2 }\nchecks:\n  - { missingLine: Traceback, phase: probe }\n",
      "matrix.yaml:13: checks.0.phase: with steps: there is no probe phase; name a step (step: N)",
    ],
    [
      "steps:\n  - { requests: 2 }\nchecks:\n  - { missingLine: Traceback, phase: boot, step: 1 }\n",
      "matrix.yaml:13: checks.0.step: give phase or step, not both",
    ],
  ])("refuses %j in one line naming the field", (extra, expected) => {
    const msg = errorOf(`${MINIMAL}${extra}`);
    if (typeof expected === "string") expect(msg).toBe(expected);
    else expect(msg).toMatch(expected);
  });
});
