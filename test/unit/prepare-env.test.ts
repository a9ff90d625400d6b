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

describe("an interpreter of another version than the cell's", () => {
  it("is no env: its cells are install-failed, not run on the wrong Python", async () => {
    const { prepareEnv } = await import("../../harness/envs/prepare-env.js");
    const { parseScenario } = await import("../../harness/config/load.js");
    const { envOf } = await import("../../harness/cell/cell.js");
    const { expandCells } = await import("../../harness/plan/expand.js");
    const { MINIMAL } = await import("../helpers/scenarios.js");
    const s = parseScenario(MINIMAL);
    const [cell] = expandCells(s, { uvicorn: ["0.11.4"], gunicorn: ["23.0.0"] });
    const spec = envOf(cell as NonNullable<typeof cell>, s);
    let installed = false;
    const backend = {
      interpreter: async () => ({ ok: true as const, ref: "img", facts: { python: "3.10.4", glibc: "2.31", arch: "x86_64" as const } }),
      install: async () => {
        installed = true;
        return { ok: false as const, reason: "never", log: "" };
      },
    };
    const env = await prepareEnv(spec, { backend, cacheDir: "/nonexistent", uv: "uv", signal: AbortSignal.timeout(5000) });
    expect(env.ok).toBe(false);
    expect(env.ok ? "" : env.reason).toBe(`the base ${spec.base} holds Python 3.10.4, not ${spec.python}: name a base of that Python`);
    expect(installed).toBe(false);
  });
});
