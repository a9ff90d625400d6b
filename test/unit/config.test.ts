import { describe, expect, it } from "vitest";
import { parseScenario } from "../../harness/config/load.js";
import { ConfigError } from "../../harness/errors.js";
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

describe("parseScenario", () => {
  it("fills defaults: preload both ways, 8 workers, probes and timeouts", () => {
    const s = parseScenario(MINIMAL);
    expect(s.packages.gunicorn).toEqual(["23.0.0"]);
    expect(s.preload).toEqual([false, true]);
    expect(s.workers).toEqual([8]);
    expect(s.probes).toMatchObject({ path: "/", count: 64, concurrency: 8, expectedStatus: 200 });
    expect(s.timeouts.bootSeconds).toBe(60);
  });

  it("names the field and line of a bad regex", () => {
    const msg = errorOf(MINIMAL.replace('["RuntimeError: Event loop is closed"]', '["(unclosed"]'));
    expect(msg).toMatch(/^matrix\.yaml:9: signatures\.0: not a valid regular expression/);
  });

  it("names an unknown field and its own line", () => {
    expect(errorOf(`${MINIMAL}workerz: 4\n`)).toBe("matrix.yaml:10: workerz: unknown field (allowed fields are listed in the README)");
  });

  it("rejects a version that is not PEP 440, at its line", () => {
    expect(errorOf(MINIMAL.replace("0.11.4]", "zero.eleven]"))).toMatch(/^matrix\.yaml:3: packages\.uvicorn\.1: not a PEP 440 version/);
  });

  it("asks for Python versions as quoted strings", () => {
    expect(errorOf(MINIMAL.replace('"3.9": {', "3.9x: {"))).toMatch(/^matrix\.yaml:\d+: python\.3\.9x: .*quoted string/);
  });

  it("suggests the field a misspelt key was meant to be", () => {
    expect(errorOf(MINIMAL.replace("signatures:", "signature:"))).toBe("matrix.yaml:9: signature: unknown field; did you mean signatures?");
  });

  it("reports YAML syntax errors with a line", () => {
    expect(errorOf(`${MINIMAL}apps: [plain\n`)).toMatch(/^matrix\.yaml:\d+: YAML syntax error/);
  });

  it("names a missing required field", () => {
    expect(errorOf(MINIMAL.replace(/^apps: .*\n/m, ""))).toBe("matrix.yaml:1: apps: required field is missing");
  });
});
