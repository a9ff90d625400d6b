import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { catastrophicBacktracking } from "../../harness/config/backtracking.js";
import { compileSignature, SIGNATURE_BUDGET } from "../../harness/config/signature.js";
import { ConfigError } from "../../harness/core/errors.js";
import { LogCollector } from "../../harness/evidence/log-collector.js";

describe("compileSignature", () => {
  it("matches anywhere in a line, as RE2 reads the pattern", () => {
    const s = compileSignature("Worker \\(pid:\\d+\\) was sent (SIGKILL|SIGTERM)");
    expect(s.test("[2024-01-01 00:00:00 +0000] [1] [ERROR] Worker (pid:42) was sent SIGKILL!")).toBe(true);
    expect(s.test("Worker (pid:x) was sent SIGKILL")).toBe(false);
    expect(compileSignature("^Traceback").test("  Traceback")).toBe(false);
  });

  it("matches with RE2, not JavaScript's engine: \\s is ASCII white space there", () => {
    const s = compileSignature("Error:\\sEvent");
    expect(s.test("Error: Event")).toBe(true);
    // JavaScript's \s takes a no-break space as well; RE2's does not.
    expect(/Error:\sEvent/.test("Error:\u00a0Event")).toBe(true);
    expect(s.test("Error:\u00a0Event")).toBe(false);
  });

  it("matches a line that JavaScript's engine takes seconds on, in linear time", async () => {
    // Two .* around a word: accepted (one unbounded quantifier on each side of a literal), but a
    // backtracking engine tries every split of a line that almost matches, cubic in its length:
    // ~15 s for this 17.6 KB line with the old `new RegExp` (minutes for the fixture's 110 KB
    // ones). RE2 takes milliseconds.
    const logs = new LogCollector([compileSignature("Error.*Event.*:X!")]);
    // vitest starts its timer once the test function has returned: match after that, and give
    // the timer (long expired if matching took seconds) its turn before the test can pass.
    await sleep(0);
    logs.write("stderr", `${"ErrorEvent:".repeat(1600)}\n`);
    logs.write("stderr", "Error in Event handler :X!\n");
    const summary = logs.finish();
    expect(summary.totalLines).toBe(2);
    expect(summary.signatureMatches.map((m) => m.n)).toEqual([2]);
    await sleep(1);
  }, 10_000); // a hang guard: RE2 needs milliseconds, the old engine 15 s or more

  it("refuses, as a ConfigError naming the signature, what RE2 cannot match the way JavaScript reads it", () => {
    for (const [source, why] of [
      ["(?<=Error: )Event loop", "uses the lookbehind (?<=Error: )"],
      ["(Error)\\1", "uses the backreference \\1"],
      ["Error(?! ignored)", "uses the lookahead (?! ignored)"],
      ["\\QError", "could read differently in RE2 and JavaScript"],
      ["Error{2000}", "is not RE2 syntax"],
    ] as const) {
      expect(() => compileSignature(source)).toThrow(ConfigError);
      expect(() => compileSignature(source)).toThrow(why);
    }
  });

  it("gives each accepted signature its cost, within the budget all signatures share", () => {
    expect(compileSignature("RuntimeError: Event loop is closed").cost).toBeLessThan(50);
    expect(compileSignature("Error [ab]{190}!").cost).toBeLessThanOrEqual(SIGNATURE_BUDGET);
    expect(() => compileSignature("Error [ab]{200}!")).toThrow(/costs \d+ \(RE2 program size\), over the 200/);
  });
});

describe("the backtracking checker", () => {
  it.each([
    ["Error.*.*.*.*.*.*:X", ".* and .*"],
    ["a*a*a*a*a*a*a*b", "a* and a*"],
    ["Error: \\w+\\s*\\w+$", "\\w+ and \\w+"],
    ["(.*)(.*)Error", "(.*) and (.*)"],
    ["Error.*(b|.*)c", ".* and (b|.*)"],
    ["Error(?:.*)?.*z", "(?:.*)? and .*"],
    ["(a+)+$", "a+ inside (a+)+"],
  ])("refuses %s (%s)", (source, pair) => {
    expect(catastrophicBacktracking(source)?.why).toContain(pair);
  });

  it.each([
    ".*Error.*",
    "Traceback.*Event loop is closed",
    "uvicorn \\d+(\\.\\d+)*",
    "(\\w+\\.)*\\w+Error",
    "Error.*Event.*:X!",
    "\\s*\\S+Error",
  ])("accepts %s", (source) => {
    expect(catastrophicBacktracking(source)).toBeUndefined();
  });
});
