import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { parseScenario } from "../../harness/config/load.js";
import { LogCollector } from "../../harness/evidence/log-collector.js";
import { loadApps } from "../../harness/run/fixtures.js";
import { gunicornCommand } from "../../harness/run/run-cell.js";
import { connectDocker } from "../../harness/runtimes/docker/docker-engine.js";
import { DockerRuntime } from "../../harness/runtimes/docker/docker-runtime.js";
import { runScenario, tempDir } from "../helpers/harness.js";

const SCENARIO = `scenario: it-isolation
packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
python:
  "3.11": { base: "debian:bookworm" }
onlyBinary: [uvloop]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [reach-out]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
`;

const logText = (r: CellRecord) => r.evidence.logTail.map((l) => l.text).join("\n");

/**
 * A cell's container can reach nothing but the harness's probe: no network interface but
 * loopback, no route off the machine, not root, none of the harness's environment. The
 * reach-out fixture answers 500 wherever it finds a way out, so the same fixture on the local
 * runtime (unconfined, by design) shows the check can fail.
 */
describe("cell isolation", () => {
  let docker: CellRecord;
  let local: CellRecord;

  beforeAll(async () => {
    process.env.REPRO_MATRIX_SENTINEL = "must not leak";
    const out = await tempDir("isolation");
    docker = (await runScenario(SCENARIO, out, { runtime: "docker" })).records[0] as CellRecord;
    local = (await runScenario(SCENARIO, out, { runtime: "local" })).records[0] as CellRecord;
  }, 900_000);
  afterAll(() => {
    delete process.env.REPRO_MATRIX_SENTINEL;
  });

  it("in docker: only loopback, no route out, not root, no host environment, and it still serves the probes", () => {
    expect(docker.outcome, docker.reason).toBe("clean");
    expect(logText(docker)).toMatch(/isolation: uid=65534 env=\S+ problems=none/);
    expect(logText(docker)).not.toContain("REPRO_MATRIX_SENTINEL");
    expect(docker.command).toContain("unix:/run/repro-matrix/gunicorn.sock");
  });

  it("the same fixture unconfined (local runtime) finds its ways out and fails", () => {
    expect(local.outcome).toBe("other-failure");
    expect(logText(local)).toMatch(/isolation: uid=\d+ env=\S+ problems=\[.*(interfaces|a route off the machine|runs as root)/);
  });

  it("the container has no network and publishes no port; it runs as nobody with a fixed environment", async () => {
    const engine = await connectDocker();
    const runId = `isolation-${process.pid}`;
    const runtime = new DockerRuntime(engine, { "repro-matrix.managed": "true", "repro-matrix.run": runId });
    const signal = AbortSignal.timeout(60_000);
    const cell = {
      python: "3.11",
      packages: { uvicorn: "0.39.0", gunicorn: "23.0.0" },
      workerClass: "uvicorn.workers.UvicornWorker",
      preload: false,
      app: "plain",
      workers: 1,
    };
    const s = parseScenario(SCENARIO.replace("apps: [reach-out]", "apps: [plain]"));
    await using server = await runtime.start(
      {
        image: docker.image as string,
        command: (place) => gunicornCommand(cell, s, place),
        files: await loadApps(s),
        logs: new LogCollector([]),
        labels: {},
      },
      signal,
    );
    const [info] = await engine.listContainers({ filters: { label: [`repro-matrix.run=${runId}`] } });
    const inspected = await engine.getContainer(info?.Id as string).inspect();
    expect(inspected.HostConfig.NetworkMode).toBe("none");
    expect(info?.Ports).toEqual([]);
    expect(inspected.Config.User).toBe("65534:65534");
    expect(inspected.Config.Env.map((e) => e.split("=")[0]).sort()).toEqual([
      "HOME",
      "LANG",
      "PATH",
      "PYTHONDONTWRITEBYTECODE",
      "PYTHONUNBUFFERED",
    ]);
    expect(server.socketPath).toMatch(/gunicorn\.sock$/);
  }, 120_000);
});
