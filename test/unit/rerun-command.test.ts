import { describe, expect, it } from "vitest";
import { rerunCommand } from "../../harness/report/rerun-command.js";
import { record } from "../helpers/records.js";

describe("the command that reruns one cell", () => {
  it("forces the cell, on its runtime, naming a scenario file other than the default", () => {
    const cmd = rerunCommand(record({ runtime: "local" }), "scenarios/full-sweep.yaml");
    expect(cmd).toMatch(
      /^npx repro-matrix run --config scenarios\/full-sweep\.yaml --set uvicorn=0\.11\.4 --set gunicorn=23\.0\.0 --only '.+' --force --runtime local$/,
    );
    expect(rerunCommand(record())).not.toContain("--rebuild");
  });

  it("builds an install-failed cell's env again instead of recalling the recorded failure", () => {
    expect(rerunCommand(record({ outcome: "install-failed", reason: "image build failed: Failed building wheel for httptools" }))).toMatch(
      / --force --rebuild$/,
    );
  });
});
