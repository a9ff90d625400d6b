import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { connectDocker } from "../../harness/runtimes/docker/docker-engine.js";
import { MANAGED_LABEL, OWNER_PID_LABEL } from "../../harness/runtimes/docker/labels.js";
import { runScenario, tempDir } from "../helpers/harness.js";

// A cell's container on the real engine: no swap, a read-only root with a tmpfs /tmp, a CPU
// quota, and the same limits in the cell's record (issue #20, item 7).
const SCENARIO = `scenario: it-confinement
python:
  "3.11": { base: "debian:bookworm" }
onlyBinary: [uvloop]
signatures: ["RuntimeError: Event loop is closed"]
packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [tries-writes]
limits: { memoryMiB: 512, cpus: 0.5 }
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
`;

/** The HostConfig of this process's containers, read while the cell's server runs. */
async function hostConfigs(docker: Docker, into: Docker.ContainerInspectInfo["HostConfig"][], until: () => boolean) {
  while (!until()) {
    const mine = await docker.listContainers({ filters: { label: [MANAGED_LABEL, `${OWNER_PID_LABEL}=${process.pid}`] } });
    for (const c of mine) into.push((await docker.getContainer(c.Id).inspect()).HostConfig);
    if (into.length > 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("a cell's container is confined, on the real engine", () => {
  it("no swap, read-only root, tmpfs /tmp, a CPU quota; writes fail outside /tmp and work in it; limits recorded", async () => {
    const docker = await connectDocker();
    const seen: Docker.ContainerInspectInfo["HostConfig"][] = [];
    let done = false;
    let watching: Promise<void> | undefined;
    const run = await runScenario(SCENARIO, await tempDir("confinement"), {
      force: true,
      onEvent: (e) => {
        if (e.type === "cell-started") watching ??= hostConfigs(docker, seen, () => done);
      },
    });
    done = true;
    await watching;
    const r = run.records[0] as CellRecord;
    expect(r.outcome, r.reason).toBe("clean");
    const host = seen[0];
    expect(host?.Memory).toBe(512 * 1024 * 1024);
    expect(host?.MemorySwap).toBe(host?.Memory);
    expect(host?.ReadonlyRootfs).toBe(true);
    expect(Object.keys(host?.Tmpfs ?? {})).toEqual(["/tmp"]);
    expect(host?.NanoCpus).toBe(0.5e9);
    const lines = r.evidence.logTail.map((l) => l.text).concat(run.records.flatMap(() => []));
    expect(lines.filter((t) => t.includes("tries-writes: write /var/tmp: EROFS"))).toHaveLength(2);
    expect(lines.filter((t) => t.includes("tries-writes: write /tmp: ok"))).toHaveLength(2);
    expect(r.limits).toEqual({
      memoryMiB: 512,
      memorySwapMiB: 512,
      cpus: 0.5,
      pids: 512,
      readOnlyRoot: true,
      tmpMiB: 128,
      network: "none",
    });
  }, 600_000);
});
