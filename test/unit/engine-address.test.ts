import Docker from "dockerode";
import { afterEach, describe, expect, it } from "vitest";
import { PrerequisiteError } from "../../harness/core/errors.js";
import { engineReach, isLoopback } from "../../harness/runtimes/docker/engine-address.js";

/** An engine client made as the harness makes one: from DOCKER_HOST alone. */
const withDockerHost = (value: string | undefined) => {
  if (value === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = value;
  return new Docker();
};

describe("how cells reach an engine's servers, by DOCKER_HOST", () => {
  const saved = process.env.DOCKER_HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });

  it("through the shared socket folder when the engine is on this machine's unix socket, or DOCKER_HOST is unset", () => {
    expect(engineReach(withDockerHost(undefined))).toEqual({ kind: "socket" });
    expect(engineReach(withDockerHost("unix:///var/run/docker.sock"))).toEqual({ kind: "socket" });
    expect(engineReach(withDockerHost("unix:///run/user/1000/docker.sock"))).toEqual({ kind: "socket" });
  });

  it("at the engine's host through a port it publishes on every interface, for a tcp:// engine elsewhere", () => {
    expect(engineReach(withDockerHost("tcp://ci-engine.internal:2376"))).toEqual({
      kind: "published-port",
      probeHost: "ci-engine.internal",
      publishOn: "",
    });
  });

  it("on loopback, published on loopback, for a tcp:// address of this machine (IPv6 too)", () => {
    for (const address of ["tcp://127.0.0.1:2375", "tcp://localhost:2375", "tcp://[::1]:2375"]) {
      expect(engineReach(withDockerHost(address)), address).toEqual({
        kind: "published-port",
        probeHost: "127.0.0.1",
        publishOn: "127.0.0.1",
      });
    }
  });

  it("refuses an ssh:// engine in one line naming the fix: its published ports are not reachable from here", () => {
    const docker = withDockerHost("ssh://ci@build-box");
    expect(() => engineReach(docker)).toThrow(PrerequisiteError);
    expect(() => engineReach(docker)).toThrow(/^DOCKER_HOST=ssh:\/\/ci@build-box: .*use tcp:\/\//);
  });

  it("knows loopback names and addresses", () => {
    expect(["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"].map(isLoopback)).toEqual([true, true, true, true, true]);
    expect(["ci-engine.internal", "10.0.0.7", "128.0.0.1"].map(isLoopback)).toEqual([false, false, false]);
  });
});
