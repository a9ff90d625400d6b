import { describe, expect, it } from "vitest";
import type { Lock } from "../../harness/envs/lock.js";
import { failedInRunStep, sharedPackages } from "../../harness/runtimes/docker/env-image.js";

const lock = (over: Partial<Lock>): Lock => ({
  strategy: "as-of-release",
  resolvedOn: "2026-11-26",
  python: "3.9.2",
  platform: "x86_64-manylinux_2_31",
  onlyBinary: [],
  constraints: [],
  packages: [
    { name: "click", version: "7.1.2" },
    { name: "gunicorn", version: "23.0.0" },
    { name: "h11", version: "0.9.0" },
    { name: "packaging", version: "20.4" },
    { name: "pip", version: "24.0" },
    { name: "setuptools", version: "82.0.1" },
    { name: "uvicorn", version: "0.11.4" },
    { name: "wheel", version: "0.45.1" },
  ],
  ...over,
});

describe("sharedPackages (what goes in the layer every release of a sweep shares)", () => {
  it("as-of-release: the build tools and the other pinned axis packages, never the swept anchor nor anything held to its date", () => {
    const shared = sharedPackages(lock({ anchor: "uvicorn==0.11.4", exempt: ["uvicorn", "gunicorn", "pip", "setuptools", "wheel"] }));
    expect(shared.tools.map((p) => p.name)).toEqual(["pip", "setuptools", "wheel"]);
    // gunicorn's own dependency (packaging) is at the release's cut-off, so it stays with the release.
    expect(shared.pinned).toEqual([{ name: "gunicorn", version: "23.0.0" }]);
  });

  it("latest: nothing is exempt from a date, so only the build tools are shared", () => {
    const shared = sharedPackages(lock({ strategy: "latest" }));
    expect(shared.tools.map((p) => p.name)).toEqual(["pip", "setuptools", "wheel"]);
    expect(shared.pinned).toEqual([]);
  });

  it("packages lifted past the cut-off stay with the release, and names match whatever their spelling", () => {
    const shared = sharedPackages(
      lock({
        anchor: "Uvicorn==0.11.4",
        exempt: ["uvicorn", "gunicorn", "pip", "setuptools", "wheel", "h11"],
        fallback: { packages: ["H11"], because: "h11 0.9.0 has no wheel" },
      }),
    );
    expect(shared.pinned).toEqual([{ name: "gunicorn", version: "23.0.0" }]);
  });
});

describe("failedInRunStep (a recipe's failure, to record, or the builder's, to retry)", () => {
  it("knows a RUN command that exited non-zero, in the classic builder's words and BuildKit's", () => {
    expect(failedInRunStep("The command '/bin/sh -c /opt/venv/bin/pip wheel x.tar.gz' returned a non-zero code: 1")).toBe(true);
    expect(failedInRunStep('process "/bin/sh -c pip wheel x.tar.gz" did not complete successfully: exit code: 1')).toBe(true);
    expect(failedInRunStep('building at STEP "RUN /opt/venv/bin/pip wheel x.tar.gz": while running runtime: exit status 1')).toBe(true);
  });

  it("does not take the builder's own failures for the recipe's", () => {
    expect(failedInRunStep('unable to find image "sha256:2a9df257880b"')).toBe(false);
    expect(failedInRunStep("failed to copy files: no space left on device")).toBe(false);
  });
});
