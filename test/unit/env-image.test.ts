import { describe, expect, it } from "vitest";
import type { Lock } from "../../harness/envs/lock.js";
import { installByUvElsePip } from "../../harness/runtimes/docker/docker-env-backend.js";
import { baseParent, failedInRunStep, freezeInBuildOutput, sharedPackages } from "../../harness/runtimes/docker/env-image.js";

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

describe("baseParent (how an env's layers name the base they build on)", () => {
  it("names a base the harness built by its recipe's tag, whatever id this build of it got; a registry image by its id", () => {
    // The same debootstrap recipe built on two machines (or twice here): two ids, one tag.
    const tag = "repro-matrix-base:bookworm-0123456789ab";
    expect(baseParent(tag, "sha256:aaa")).toEqual({ tag, id: "sha256:aaa" });
    expect(baseParent(tag, "sha256:bbb").tag).toBe(baseParent(tag, "sha256:aaa").tag);
    expect(baseParent("repro-matrix-base:host-3.7-0123456789ab", "sha256:ccc").tag).toBe("repro-matrix-base:host-3.7-0123456789ab");
    // python:3.13-slim moves between patch releases under one name: its id is what it holds.
    expect(baseParent("python:3.13-slim", "sha256:ddd")).toEqual({ tag: "sha256:ddd", id: "sha256:ddd" });
    expect(baseParent("example.org/repro-matrix-base:x", "sha256:eee").tag).toBe("sha256:eee");
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

describe("installByUvElsePip (the release layer by uv, by pip when uv cannot give the lock)", () => {
  const locked = lock({});
  const freeze = locked.packages.map((p) => `${p.name}==${p.version}`);
  const built = (tag: string) => ({ ok: true as const, tag, id: tag, built: true });

  it("keeps uv's image when pip's freeze of it equals the lock, and builds no other", async () => {
    const tried: string[] = [];
    const env = await installByUvElsePip(
      ["uv", "pip"],
      async (i) => {
        tried.push(i);
        return built(`env:${i}`);
      },
      async () => freeze,
      locked,
    );
    expect(tried).toEqual(["uv"]);
    expect(env).toEqual({ ok: true, location: "env:uv", built: true, freeze });
  });

  it("builds by pip when uv's build fails", async () => {
    const env = await installByUvElsePip(
      ["uv", "pip"],
      async (i) => (i === "uv" ? { ok: false, tag: "env:uv", reason: "uv could not build uvicorn", log: "" } : built("env:pip")),
      async () => freeze,
      locked,
    );
    expect(env).toMatchObject({ ok: true, location: "env:pip" });
  });

  it("builds by pip when what uv installed is not the lock, and reports the drift when pip's is not either", async () => {
    const drifted = freeze.map((l) => (l.startsWith("h11==") ? "h11==0.8.1" : l));
    const env = await installByUvElsePip(
      ["uv", "pip"],
      async (i) => built(`env:${i}`),
      async (image) => (image.tag === "env:uv" ? drifted : freeze),
      locked,
    );
    expect(env).toMatchObject({ ok: true, location: "env:pip", freeze });
    const both = await installByUvElsePip(
      ["uv", "pip"],
      async (i) => built(`env:${i}`),
      async () => drifted,
      locked,
    );
    expect(both).toMatchObject({ ok: true, location: "env:pip", freeze: drifted });
  });

  it("gives pip's own failure when neither can build", async () => {
    const env = await installByUvElsePip(
      ["uv", "pip"],
      async (i) => ({ ok: false, tag: `env:${i}`, reason: `${i} failed`, log: i }),
      async () => freeze,
      locked,
    );
    expect(env).toEqual({ ok: false, reason: "pip failed", log: "pip" });
  });
});

describe("freezeInBuildOutput (the env's freeze, read from its build's output)", () => {
  it("takes the lines between the markers, from Docker's or Podman's output", () => {
    const docker = [
      "Step 5/5 : RUN … && echo repro-matrix-freeze-begin && cat /opt/venv/freeze.txt && echo repro-matrix-freeze-end",
      " ---> Running in 0123456789ab",
      "repro-matrix-freeze-begin",
      "click==8.1.8",
      "uvicorn==0.39.0",
      "repro-matrix-freeze-end",
      " ---> 89abcdef0123",
      "Successfully built 89abcdef0123",
    ];
    expect(freezeInBuildOutput(docker)).toEqual(["click==8.1.8", "uvicorn==0.39.0"]);
    const podman = ["STEP 5/5: RUN …", "repro-matrix-freeze-begin", "h11==0.16.0\r", "repro-matrix-freeze-end", "COMMIT env:x"];
    expect(freezeInBuildOutput(podman)).toEqual(["h11==0.16.0"]);
  });

  it("has none when the output lacks either marker (the file in the image is read instead)", () => {
    expect(freezeInBuildOutput(["Step 1/4 : FROM x", "Successfully built 0123"])).toBeUndefined();
    expect(freezeInBuildOutput(["repro-matrix-freeze-begin", "click==8.1.8"])).toBeUndefined();
    // The command itself echoed in a step line is not the marker line.
    expect(freezeInBuildOutput(["Step 5/5 : RUN echo repro-matrix-freeze-begin && … echo repro-matrix-freeze-end"])).toBeUndefined();
  });
});
