import { describe, expect, it } from "vitest";
import { isOrphan } from "../../harness/runtimes/docker/reaper.js";

describe("which containers are leftovers of this machine's dead runs", () => {
  const dead = "2147483646";
  const alive = String(process.pid);
  it("a container of a harness process of this machine that is gone", () => {
    expect(isOrphan({ "repro-matrix.owner-pid": dead, "repro-matrix.owner-host": "here" }, "here")).toBe(true);
    expect(isOrphan({ "repro-matrix.owner-pid": alive, "repro-matrix.owner-host": "here" }, "here")).toBe(false);
  });

  it("never another machine's, whatever its pid means here (a remote engine shared by CI jobs)", () => {
    expect(isOrphan({ "repro-matrix.owner-pid": dead, "repro-matrix.owner-host": "ci-runner-2" }, "here")).toBe(false);
  });

  it("one without the host label was started by an older harness on this machine", () => {
    expect(isOrphan({ "repro-matrix.owner-pid": dead }, "here")).toBe(true);
  });

  it("never a build step, which has only the label it inherits from the harness image it builds on", () => {
    expect(isOrphan({ "repro-matrix.managed": "true" }, "here")).toBe(false);
  });
});
