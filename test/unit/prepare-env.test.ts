import { describe, expect, it } from "vitest";
import { nextLift } from "../../harness/envs/prepare-env.js";

describe("lifting allowNewer packages past the cut-off", () => {
  const allow = ["uvloop", "httptools"];
  it("lifts the package the failure's reason names, even when the log names others", () => {
    const failure = {
      reason: "image build failed: Failed building wheel for uvloop",
      log: "Building wheel for httptools ... done\nuvloop error",
    };
    expect(nextLift(allow, [], failure)).toEqual(["uvloop"]);
  });
  it("falls back to the log, then to everything left, and never lifts twice", () => {
    expect(nextLift(allow, [], { reason: "image build failed", log: "error in httptools/parser.c" })).toEqual(["httptools"]);
    expect(nextLift(allow, ["uvloop"], { reason: "no version", log: "" })).toEqual(["httptools"]);
    expect(nextLift(allow, ["uvloop", "httptools"], { reason: "uvloop again", log: "" })).toEqual([]);
  });
});
