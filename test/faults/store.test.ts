import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";
import { record } from "../helpers/records.js";
import { writeResults } from "../helpers/results.js";

const cli = (args: string[]) => execa("node", [BIN, ...args], { reject: false, env: { REPRO_MATRIX_CACHE: CACHE_DIR } });

describe("the results folder when things go wrong", () => {
  it("Ctrl-C before any cell finished leaves no run-in-progress marker for the next run to call killed", async () => {
    const dir = await tempDir("early-interrupt");
    const config = await writeConfig(
      dir,
      itScenario(
        "it-early-interrupt",
        `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [true]
workers: 2
apps: [slow]
`,
        "3.11",
      ),
    );
    const child = execa("node", [BIN, "run", "--runtime", "docker", "--config", config, "--out", dir], {
      reject: false,
      env: { REPRO_MATRIX_CACHE: CACHE_DIR },
    });
    // The run has started (its marker is written right after this line) and no cell has finished.
    await new Promise<void>((resolve) => {
      child.stderr?.on("data", (b: Buffer) => {
        if (/run \w+: 1 cells/.test(b.toString())) resolve();
      });
      void child.then(() => resolve());
    });
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).not.toMatch(/\[1\/1\]/);
    expect(await readdir(join(dir, "it-early-interrupt"))).not.toContain("run-in-progress.json");
  }, 300_000);

  it("a full disk names the file it could not write", async () => {
    const dir = await tempDir("disk-full");
    const out = join(dir, "tiny");
    await mkdir(out);
    // A 64 KiB filesystem: a 41 KB results.json fits once, not twice (writes go through a temp file).
    await execa("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", out]);
    try {
      const cells = Array.from({ length: 40 }, (_, i) => record({ uvicorn: `0.${i}.0`, reason: "x".repeat(400) }));
      const file = join(out, "demo", "results.json");
      await writeResults(file, {
        schemaVersion: 5,
        scenario: "demo",
        harnessVersion: "0.1.0",
        lastVerified: "2026-11-25",
        cells,
        runs: [],
      });
      const config = await writeConfig(
        dir,
        itScenario(
          "demo",
          "packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }\nworkerClasses: [uvicorn.workers.UvicornWorker]\npreload: [true]\nworkers: 2\napps: [plain]\n",
        ),
      );
      const r = await cli(["report", "--config", config, "--out", out]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim()).toBe(
        `repro-matrix: no space left on device writing ${file}: free space there, or point --cache-dir / --out at a disk with room (finished cells are in results.jsonl: run --resume)`,
      );
    } finally {
      await execa("umount", [out]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
