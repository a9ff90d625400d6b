import { readFile } from "node:fs/promises";
import { availableParallelism, machine, release } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cellAxesKey } from "../../harness/cell/record.js";
import { runScenario, tempDir } from "../helpers/harness.js";

// The same six cells on both runtimes, into one results file: a worker class from uvicorn, one
// from the uvicorn-worker package (which the env must bring in), and one no env has.
const SCENARIO = `scenario: it-runtimes
packages:
  uvicorn: [0.39.0]
  gunicorn: 23.0.0
python:
  "3.11": { base: "debian:bookworm" }
onlyBinary: [uvloop]
workerClasses:
  - uvicorn.workers.UvicornWorker
  - { class: uvicorn_worker.UvicornWorker, package: "uvicorn-worker==0.4.0" }
  - uvicorn.workers.NoSuchWorker
preload: [true]
workers: 2
apps: [plain, prints-signature]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
`;

describe("the same cells on the docker and the local runtime", () => {
  let out: string;
  let docker: Awaited<ReturnType<typeof runScenario>>;
  let local: Awaited<ReturnType<typeof runScenario>>;

  beforeAll(async () => {
    out = await tempDir("runtimes");
    docker = await runScenario(SCENARIO, out, { runtime: "docker" });
    local = await runScenario(SCENARIO, out, { runtime: "local" });
  });

  it("runs every cell where it was asked to, on the asked Python", () => {
    expect(docker.records).toHaveLength(6);
    expect(local.records).toHaveLength(6);
    expect(new Set(docker.records.map((r) => r.runtime))).toEqual(new Set(["docker"]));
    expect(new Set(local.records.map((r) => r.runtime))).toEqual(new Set(["local"]));
    for (const r of [...docker.records, ...local.records]) expect(r.pythonFull, r.reason).toMatch(/^3\.11\./);
    // This machine on both: the local runtime reads it itself, the (local) engine tells it and names itself.
    for (const r of [...docker.records, ...local.records])
      expect(r.machine).toMatchObject({
        kernel: release(),
        arch: machine(),
        cpus: availableParallelism(),
        memoryMiB: docker.records[0]?.machine?.memoryMiB,
      });
    for (const r of local.records) expect(r.machine?.engine).toBeUndefined();
    for (const r of docker.records) expect(r.machine?.engine).toMatch(/^Docker \d/);
    expect(local.events.find((e) => e.type === "run-started")).toMatchObject({ runtime: "local" });
  });

  it("gives the expected outcome for each cell on the local runtime", () => {
    const outcome = (workerClass: string, app: string) =>
      local.records.find((r) => r.workerClass === workerClass && r.app === app)?.outcome;
    expect(outcome("uvicorn.workers.UvicornWorker", "plain")).toBe("clean");
    expect(outcome("uvicorn.workers.UvicornWorker", "prints-signature")).toBe("reproduced");
    expect(outcome("uvicorn_worker.UvicornWorker", "plain")).toBe("clean");
    expect(outcome("uvicorn.workers.NoSuchWorker", "plain")).toBe("boot-failure");
    const missing = local.records.find((r) => r.workerClass === "uvicorn.workers.NoSuchWorker" && r.app === "plain");
    expect(missing?.reason).toMatch(/^worker class uvicorn\.workers\.NoSuchWorker not found in this env/);
  });

  it("brings the worker class's own package into the env, and only into its env", () => {
    const withPackage = local.records.find((r) => r.workerClass === "uvicorn_worker.UvicornWorker");
    const without = local.records.find((r) => r.workerClass === "uvicorn.workers.UvicornWorker");
    expect(withPackage?.evidence.packages).toContain("uvicorn-worker==0.4.0");
    expect(without?.evidence.packages.some((p) => p.startsWith("uvicorn-worker=="))).toBe(false);
  });

  it("gives the same outcomes on both runtimes, and the report says so", async () => {
    const byAxes = new Map(docker.records.map((r) => [cellAxesKey(r), r.outcome]));
    for (const r of local.records) expect([cellAxesKey(r), r.outcome]).toEqual([cellAxesKey(r), byAxes.get(cellAxesKey(r))]);
    expect(local.results.cells).toHaveLength(12);
    const md = await readFile(join(out, "it-runtimes", "README.md"), "utf8");
    expect(md).toContain("## Runtime parity");
    expect(md).toContain("6 cells ran on both the docker and the local runtime: 6 gave the same outcome, 0 differed.");
  });
});
