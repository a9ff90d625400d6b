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

describe("parseScenario", () => {
  it("fills defaults: preload both ways, 8 workers, probes and timeouts", () => {
    const s = parseScenario(MINIMAL);
    expect(s.packages.gunicorn).toEqual({ versions: ["23.0.0"] });
    expect(s.resolution).toEqual({ strategy: "as-of-release", anchor: "uvicorn", allowNewer: [] });
    expect(s.index).toEqual({ url: "https://pypi.org/simple", extraUrls: [], findLinks: [] });
    expect(s.preload).toEqual([false, true]);
    expect(s.workers).toEqual([8]);
    expect(s.probes).toMatchObject({ path: "/", count: 64, concurrency: 8, expectedStatus: 200 });
    expect(s.timeouts.bootSeconds).toBe(60);
  });

  it("names the field and line of a bad regex", () => {
    const msg = errorOf(MINIMAL.replace('["RuntimeError: Event loop is closed"]', '["(unclosed"]'));
    expect(msg).toMatch(/^matrix\.yaml:9: signatures\.0: not a valid regular expression/);
  });

  it("states a claim with its package, signature, trigger and claimed version; the package must be an axis", () => {
    const claim =
      'claim: { text: "first fixed release: 0.11.4", package: uvicorn, signature: "Event loop is closed", firstFixed: 0.11.4, when: { preload: true } }\n';
    expect(parseScenario(`${MINIMAL}${claim}`).claim).toEqual({
      text: "first fixed release: 0.11.4",
      package: "uvicorn",
      signature: "Event loop is closed",
      firstFixed: "0.11.4",
      when: { preload: true },
    });
    expect(errorOf(`${MINIMAL}${claim.replace("package: uvicorn", "package: starlette")}`)).toBe(
      'matrix.yaml:10: claim.package: "starlette" is not one of the package axes (uvicorn, gunicorn); a claim is about the versions of one of them',
    );
  });

  it("names an unknown field and its own line", () => {
    expect(errorOf(`${MINIMAL}workerz: 4\n`)).toBe("matrix.yaml:10: workerz: unknown field (allowed fields are listed in the README)");
  });

  it("rejects a version that is not PEP 440, at its line", () => {
    expect(errorOf(MINIMAL.replace("0.11.4]", "zero.eleven]"))).toBe(
      'matrix.yaml:3: packages.uvicorn.1: "zero.eleven" is not a PEP 440 version',
    );
  });

  it("reads `all` and PEP 440 ranges as release selections, and refuses a bad range", () => {
    const s = parseScenario(
      MINIMAL.replace("uvicorn: [0.11.3, 0.11.4]", 'uvicorn: ">=0.2,<0.12"').replace("gunicorn: 23.0.0", "gunicorn: all"),
    );
    expect(s.packages.uvicorn).toEqual({ select: ">=0.2,<0.12" });
    expect(s.packages.gunicorn).toEqual({ select: "all" });
    expect(errorOf(MINIMAL.replace("uvicorn: [0.11.3, 0.11.4]", 'uvicorn: ">=0.2,<<0.12"'))).toBe(
      'matrix.yaml:3: packages.uvicorn: ">=0.2,<<0.12" is not a PEP 440 version range',
    );
  });

  it("asks for versions as strings, not YAML numbers", () => {
    expect(errorOf(MINIMAL.replace("uvicorn: [0.11.3, 0.11.4]", "uvicorn: 0.11"))).toMatch(
      /^matrix\.yaml:3: packages\.uvicorn: versions as strings/,
    );
  });

  it("takes any further package as an axis, and needs uvicorn and gunicorn", () => {
    expect(parseScenario(MINIMAL.replace("gunicorn: 23.0.0", 'gunicorn: 23.0.0\n  asyncpg: "0.30.0"')).packages.asyncpg).toEqual({
      versions: ["0.30.0"],
    });
    expect(errorOf(MINIMAL.replace("  gunicorn: 23.0.0\n", ""))).toMatch(
      /^matrix\.yaml:\d: packages\.gunicorn: required field is missing$/,
    );
  });

  it("reads a worker class that brings its own package", () => {
    const s = parseScenario(
      MINIMAL.replace(
        "workerClasses: [uvicorn.workers.UvicornWorker]",
        "workerClasses: [{ class: uvicorn_worker.UvicornWorker, package: uvicorn-worker }]",
      ),
    );
    expect(s.workerClasses).toEqual([{ path: "uvicorn_worker.UvicornWorker", package: "uvicorn-worker" }]);
    expect(errorOf(MINIMAL.replace("workerClasses: [uvicorn.workers.UvicornWorker]", "workerClasses: [UvicornWorker]"))).toMatch(
      /^matrix\.yaml:7: workerClasses\.0\.class: a dotted path such as uvicorn\.workers\.UvicornWorker$/,
    );
  });

  it("takes extras only for package axes", () => {
    expect(parseScenario(`${MINIMAL}packageExtras: { uvicorn: [standard] }\n`).packageExtras).toEqual({ uvicorn: ["standard"] });
    expect(errorOf(`${MINIMAL}packageExtras: { starlette: [full] }\n`)).toMatch(
      /^matrix\.yaml:\d+: packageExtras\.starlette: "starlette" is not one of the package axes \(uvicorn, gunicorn\)$/,
    );
  });

  it("needs the as-of-release anchor to be one of the package axes", () => {
    expect(errorOf(`${MINIMAL}resolution: { anchor: starlette }\n`)).toMatch(
      /^matrix\.yaml:\d+: resolution\.anchor: "starlette" is not one of the package axes \(uvicorn, gunicorn\)$/,
    );
    expect(parseScenario(`${MINIMAL}resolution: { anchor: Gunicorn }\n`).resolution.anchor).toBe("Gunicorn");
  });

  it("resolves find-links folders relative to matrix.yaml", () => {
    const s = parseScenario(`${MINIMAL}index: { findLinks: [wheels] }\n`, "/srv/claims/matrix.yaml");
    expect(s.index.findLinks).toEqual(["/srv/claims/wheels"]);
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
