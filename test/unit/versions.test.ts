import { describe, expect, it } from "vitest";
import { parseScenario } from "../../harness/config/load.js";
import { ConfigError } from "../../harness/core/errors.js";
import { resolveVersions } from "../../harness/releases/versions.js";
import { MINIMAL } from "../helpers/scenarios.js";

// Against PyPI's real release lists: what a user's range or typo meets in practice.
const withUvicorn = (axis: string) => parseScenario(MINIMAL.replace("uvicorn: [0.11.3, 0.11.4]", `uvicorn: ${axis}`));

describe("package axes expanded from the index", () => {
  it("expands a range in PEP 440 order, without pre-releases", async () => {
    const v = await resolveVersions(withUvicorn('">=0.11,<0.12"'));
    expect(v.uvicorn).toEqual(["0.11.0", "0.11.1", "0.11.2", "0.11.3", "0.11.4", "0.11.5", "0.11.6", "0.11.7", "0.11.8"]);
    expect(v.gunicorn).toEqual(["23.0.0"]);
  });

  it("expands all from the first release to the newest, 0.10.x after 0.9.x", async () => {
    const v = (await resolveVersions(withUvicorn("all"))).uvicorn ?? [];
    expect(v.length).toBeGreaterThan(150);
    expect(v.indexOf("0.10.0")).toBeGreaterThan(v.indexOf("0.9.1"));
    expect(v.every((x) => !/(a|b|rc|dev)\d*$/.test(x))).toBe(true);
  });

  it("refuses a version the index does not have, naming the closest releases", async () => {
    const err = await resolveVersions(withUvicorn('["0.11.99"]')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      "matrix.yaml: packages.uvicorn: 0.11.99 is not a release of uvicorn (closest: 0.11.7, 0.11.8, 0.12.0)",
    );
  });

  it("refuses a claimed first fixed release that the range does not select, naming claim.firstFixed", async () => {
    const claim = 'claim: { text: "first fixed release: 0.11.4", firstFixed: "0.11.4" }\n';
    const s = parseScenario(`${MINIMAL.replace("uvicorn: [0.11.3, 0.11.4]", 'uvicorn: ">=0.11,<0.11.4"')}${claim}`);
    const err = await resolveVersions(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      'matrix.yaml: claim.firstFixed: 0.11.4 is not among the releases packages.uvicorn selects (">=0.11,<0.11.4": 0.11.0 to 0.11.3, 4 releases); the claimed first fixed release must be tested',
    );
    // The same claim over a range that holds it (as 0.11.4.0, equal under PEP 440) resolves.
    const within = parseScenario(
      `${MINIMAL.replace("uvicorn: [0.11.3, 0.11.4]", 'uvicorn: ">=0.11.3,<0.11.5"')}${claim.replace('firstFixed: "0.11.4"', 'firstFixed: "0.11.4.0"')}`,
    );
    expect((await resolveVersions(within)).uvicorn).toEqual(["0.11.3", "0.11.4"]);
  });

  it("refuses a range that matches no release, saying what the index has", async () => {
    const err = await resolveVersions(withUvicorn('">=99"')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      /^matrix\.yaml: packages\.uvicorn: ">=99" matches no release of uvicorn \(the index has 0\.0\.1 to \d+\.\d+\.\d+\)$/,
    );
  });
});
