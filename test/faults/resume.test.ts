import { appendFile, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cellIdentity } from "../../harness/cell/record.js";
import { connectDocker } from "../../harness/runtimes/docker/docker-engine.js";
import { OWNER_PID_LABEL } from "../../harness/runtimes/docker/labels.js";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";
import { readResults } from "../helpers/results.js";

/**
 * kill -9 mid-run: nothing can run in `finally`, so results.json is not merged and a container
 * is left running. `run --resume` must reap the container, keep the finished cells (a torn last
 * line in results.jsonl skipped with a warning), run only the rest, and leave each cell once.
 */
describe("kill -9 mid-run, then run --resume", () => {
  it("completes the matrix with no duplicate and no missing cell, and reaps what the killed run left", async () => {
    const dir = await tempDir("resume");
    const config = await writeConfig(
      dir,
      itScenario(
        "it-resume",
        `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker, uvicorn.workers.UvicornH11Worker]
preload: [false, true]
workers: 2
apps: [plain, lifespan]
`,
        "3.11",
      ),
    );
    const args = ["run", "--runtime", "docker", "--config", config, "--out", dir, "--concurrency", "1"];
    const env = { REPRO_MATRIX_CACHE: CACHE_DIR };
    const killed = execa("node", [BIN, ...args], { reject: false, env });
    await new Promise<void>((resolve) => {
      let seen = "";
      killed.stderr?.on("data", (b: Buffer) => {
        seen += b.toString();
        if (/\[3\/8\]/.test(seen)) resolve();
      });
      void killed.then(() => resolve());
    });
    // Let the fourth cell start, so a container is running when the harness dies.
    await new Promise((r) => setTimeout(r, 1500));
    killed.kill("SIGKILL");
    expect((await killed).signal).toBe("SIGKILL");
    // What it could not clean up: its running container's socket folder on the host.
    const socketDirs = async () => (await readdir(tmpdir())).filter((n) => n.startsWith(`rm-sock-${killed.pid}-`));
    expect(await socketDirs()).not.toEqual([]);

    const jsonl = join(dir, "it-resume", "results.jsonl");
    const finished = (await readFile(jsonl, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(finished.length).toBeGreaterThanOrEqual(3);
    expect(finished.length).toBeLessThan(8);
    // A crash mid-append leaves half a line with no newline.
    await appendFile(jsonl, '{"scenario":"it-resume","uvicorn":"0.39');

    const resumed = await execa("node", [BIN, ...args, "--resume"], { reject: false, env });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `${finished.length} finished cells kept; skipped in results.jsonl: line ${finished.length + 1}: not a whole JSON line`,
    );

    const results = await readResults(join(dir, "it-resume", "results.json"));
    const ids = results.cells.map(cellIdentity);
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
    // The killed run's cells were kept as they were, not run again.
    for (const f of finished) expect(results.cells.find((c) => cellIdentity(c) === cellIdentity(f))?.startedAt).toBe(f.startedAt);
    expect(results.runs.at(-1)).toMatchObject({ cells: 8, cellsReused: finished.length, completed: true });

    const docker = await connectDocker();
    expect(await docker.listContainers({ all: true, filters: { label: [`${OWNER_PID_LABEL}=${killed.pid}`] } })).toEqual([]);
    expect(await socketDirs()).toEqual([]);
    // Merged: the run is no longer in progress and the append log starts over.
    await expect(readFile(join(dir, "it-resume", "run-in-progress.json"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readFile(jsonl, "utf8")).toBe("");
  }, 600_000);
});

describe("SIGTERM mid-run (a CI job cancelled)", () => {
  it("stops every container, keeps the finished cells, exits 130", async () => {
    const dir = await tempDir("sigterm");
    const config = await writeConfig(
      dir,
      itScenario(
        "it-sigterm",
        `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 2
apps: [plain, slow]
`,
        "3.11",
      ),
    );
    const child = execa("node", [BIN, "run", "--runtime", "docker", "--config", config, "--out", dir, "--concurrency", "1"], {
      reject: false,
      env: { REPRO_MATRIX_CACHE: CACHE_DIR },
    });
    await new Promise<void>((resolve) => {
      child.stderr?.on("data", (b: Buffer) => {
        if (/\[1\/4\]/.test(b.toString())) resolve();
      });
      void child.then(() => resolve());
    });
    await new Promise((r) => setTimeout(r, 500));
    child.kill("SIGTERM");
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    const docker = await connectDocker();
    expect(await docker.listContainers({ all: true, filters: { label: [`${OWNER_PID_LABEL}=${child.pid}`] } })).toEqual([]);
    expect((await readdir(tmpdir())).filter((n) => n.startsWith(`rm-sock-${child.pid}-`))).toEqual([]);
    const results = await readResults(join(dir, "it-sigterm", "results.json"));
    expect(results.runs.at(-1)?.completed).toBe(false);
    expect(results.cells.length).toBeGreaterThanOrEqual(1);
  }, 600_000);
});
