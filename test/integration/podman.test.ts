import { spawn } from "node:child_process";
import { access, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";
import { readResults } from "../helpers/results.js";

/**
 * The Docker runtime against a second engine: Podman's Docker-compatible API service. Runs where
 * podman is installed (.ci/run installs it, with catatonit for `Init: true`); elsewhere the test
 * says why it is skipped.
 */
const havePodman = await execa("podman", ["--version"], { reject: false }).then((r) => r.exitCode === 0);

/**
 * Podman's defaults ask for 1,048,576 open files per container, more than this sandbox's hard
 * limit (20,000) lets even root set, so every container start would fail: cap them below it.
 * cgroupfs because no systemd runs here.
 */
const CONTAINERS_CONF = `[containers]
default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

const SCENARIO = itScenario(
  "it-podman",
  `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [true]
workers: 2
apps: [plain, prints-signature]
`,
  "3.11",
);

async function waitForSocket(path: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(path, () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`podman service did not listen on ${path} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!havePodman)("the docker runtime on Podman's Docker-compatible API", () => {
  let dir: string;
  let socket: string;
  let service: ReturnType<typeof spawn> | undefined;
  let run: { exitCode?: number; stdout: string; stderr: string };
  let results: ResultsFile;

  beforeAll(async () => {
    dir = await tempDir("podman");
    socket = join(dir, "podman.sock");
    await writeFile(join(dir, "containers.conf"), CONTAINERS_CONF);
    service = spawn("podman", ["system", "service", "--time=0", `unix://${socket}`], {
      env: { ...process.env, CONTAINERS_CONF: join(dir, "containers.conf") },
      stdio: "ignore",
    });
    await waitForSocket(socket, 30_000);
    const out = join(dir, "out");
    const config = await writeConfig(dir, SCENARIO);
    // The base image is built with debootstrap and imported into Podman's own storage: nothing
    // is shared with dockerd, so this is the harness's whole path on the second engine.
    run = await execa(process.execPath, [BIN, "run", "--config", config, "--out", out, "--runtime", "docker", "--cache-dir", CACHE_DIR], {
      env: { DOCKER_HOST: `unix://${socket}` },
      reject: false,
      timeout: 900_000,
    });
    results = await readResults(join(out, "it-podman", "results.json"));
  }, 960_000);

  afterAll(async () => {
    service?.kill("SIGTERM");
    // What a run left on Podman (it should be nothing) would otherwise stay in its storage.
    if (havePodman) await execa("podman", ["rm", "--force", "--all"], { reject: false });
  });

  it("runs the cells to the same outcomes as on dockerd: clean and reproduced", () => {
    expect(run.exitCode, run.stderr).toBe(0);
    const byApp = Object.fromEntries(results.cells.map((c) => [c.app, c]));
    expect(byApp.plain?.outcome, byApp.plain?.reason).toBe("clean");
    expect(byApp.plain?.evidence.pidsServed).toHaveLength(2);
    expect(byApp["prints-signature"]?.outcome, byApp["prints-signature"]?.reason).toBe("reproduced");
  });

  it("records Podman as the engine the cells ran on", () => {
    for (const c of results.cells) expect(c.machine?.engine).toMatch(/^Podman \d+\.\d+/);
  });

  it("leaves no harness container on Podman", async () => {
    const left = await execa("podman", ["ps", "--all", "--quiet", "--filter", "label=repro-matrix.managed=true"], { reject: false });
    expect(left.stdout.trim()).toBe("");
  });

  it("imports the base image under its content-hash tag, so the next run reuses it", async () => {
    const images = await execa("podman", ["images", "--format", "{{.Repository}}:{{.Tag}}"], { reject: false });
    expect(images.stdout).toMatch(/repro-matrix-base:bookworm-[0-9a-f]{12}/);
  });
});

// Said, not silent: a machine without podman runs every other test and skips these.
it.skipIf(havePodman)("podman is not installed here: the Podman engine test is skipped (apt-get install podman catatonit)", async () => {
  await expect(access("/usr/bin/podman")).rejects.toThrow();
});
