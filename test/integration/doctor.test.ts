import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, CACHE_DIR } from "../helpers/harness.js";

const doctor = (env: Record<string, string> = {}) =>
  execa("node", [BIN, "doctor", "--config", "matrix.yaml"], { reject: false, env: { REPRO_MATRIX_CACHE: CACHE_DIR, ...env } });

describe("repro-matrix doctor", () => {
  it("on this machine (engine running, PyPI reachable): exit 0, the engine and the index ok", async () => {
    const r = await doctor();
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}docker engine: Docker \S+ at \S+ \((root|rootless), storage \S+\)$/m);
    expect(r.stdout).toMatch(/^ok {4}index https:\/\/pypi\.org\/simple: uvicorn page in \d+ ms/m);
    expect(r.stdout).toMatch(/^ok {4}config: matrix\.yaml: scenario uvicorn-85-preload/m);
  }, 30_000);

  it("with no engine at DOCKER_HOST: exit 1, a FAIL engine line and its fix under it", async () => {
    const r = await doctor({ DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(1);
    const lines = r.stdout.split("\n");
    const at = lines.findIndex((l) => l.startsWith("FAIL  docker engine: no Docker engine answers at unix:///nonexistent/docker.sock"));
    expect(at, r.stdout).toBeGreaterThanOrEqual(0);
    expect(lines[at + 1]).toBe("      fix: start one (e.g. `sudo dockerd`; see README) or set DOCKER_HOST; or run with --runtime local");
    // The machine checks still ran.
    expect(r.stdout).toMatch(/^ok {4}disk: /m);
  }, 30_000);
});
