import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cellIdentity } from "../../harness/cell/record.js";
import { REPORT_FILES } from "../../harness/report/write-reports.js";
import { lockFolder } from "../../harness/store/folder-lock.js";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";
import { record } from "../helpers/records.js";
import { readResults, writeResults } from "../helpers/results.js";

const cli = (args: string[]) => execa("node", [BIN, ...args], { reject: false, env: { REPRO_MATRIX_CACHE: CACHE_DIR } });

/** Every file of a report folder, by name, as bytes: "changes no byte" is checked on all of them. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(join(dir, name), "latin1");
  return out;
}

/** The one line a harness error prints: no stack trace, no second line. */
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0] as string;
};

/**
 * The results file with real CLI processes against real servers: two runs into one folder at
 * once, runs and reports that change nothing, a held lock, damaged files, repair.
 */
describe("results.json: one writer at a time, never lost, stable", () => {
  it("two runs with disjoint --only into one --out end with the union of their cells, and runs that change nothing change no byte", async () => {
    const dir = await tempDir("store");
    const config = await writeConfig(
      dir,
      itScenario(
        "it-store",
        // 0.2.0 cannot be built on Python 3.11: its cells are install-failed, recorded from the env's build failure.
        `packages: { uvicorn: [0.2.0, 0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 2
apps: [plain]
`,
        "3.11",
      ),
    );
    const report = join(dir, "it-store");
    const file = join(report, "results.json");
    const run = (...more: string[]) => cli(["run", "--runtime", "docker", "--config", config, "--out", dir, ...more]);

    // Started together: without the lock both read "no results" and the later write kept only its own cells.
    const [a, b] = await Promise.all([run("--only", "preload=true"), run("--only", "preload=false")]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(`${a.stderr}\n${b.stderr}`).toMatch(/it-store: waiting for repro-matrix run \(pid \d+ on .*\) to finish writing these results/);
    const both = await readResults(file);
    expect(new Set(both.cells.map(cellIdentity)).size).toBe(4);
    expect(both.cells.map((c) => c.outcome).sort()).toEqual(["clean", "clean", "install-failed", "install-failed"]);
    expect(both.runs).toHaveLength(2);

    // `report` right after a run renders the same bytes.
    const written = await snapshot(report);
    expect(Object.keys(written)).toEqual(expect.arrayContaining([...REPORT_FILES]));
    const rendered = await cli(["report", "--config", config, "--out", dir]);
    expect(rendered.exitCode, rendered.stderr).toBe(0);
    expect(await snapshot(report)).toEqual(written);

    // A run with nothing to verify anew (clean cells reused, install failures as recorded) changes no byte.
    // (Locks are resolved once per UTC day: across midnight the install failures are verified anew, rightly.)
    const again = await run();
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain("4 reused, no server started");
    expect(await snapshot(report)).toEqual(written);

    // While another process holds the folder: --no-wait stops at once, a plain run waits for it.
    const held = await lockFolder(report, { command: "test", wait: false });
    try {
      const refused = await run("--no-wait");
      expect(refused.exitCode).toBe(2);
      expect(oneLine(refused.stderr)).toMatch(
        /it-store: repro-matrix test \(pid \d+ on .*\) is writing these results; .*without --no-wait/,
      );
      const waiting = run();
      await new Promise<void>((resolve) => {
        waiting.stderr?.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("waiting for repro-matrix test")) resolve();
        });
        void waiting.then(() => resolve());
      });
      await held.release();
      const waited = await waiting;
      expect(waited.exitCode, waited.stderr).toBe(0);
    } finally {
      await held.release();
    }
    expect((await snapshot(report))["results.json"]).toBe(written["results.json"]);

    // Past --max-age, a recorded install failure is verified again like any cell: its date moves.
    const aged = await run("--max-age", "0d", "--only", "uvicorn=0.2.0");
    expect(aged.exitCode, aged.stderr).toBe(0);
    const after = await readResults(file);
    const failedAt = (r: typeof both) => r.cells.filter((c) => c.outcome === "install-failed").map((c) => c.startedAt);
    for (const at of failedAt(after)) expect(failedAt(both)).not.toContain(at);
    expect(after.runs).toHaveLength(3);
  }, 600_000);

  it("a damaged results.json stops the run with exit 2 and writes nothing; --repair keeps the valid cells and moves the file aside", async () => {
    const dir = await tempDir("store-damaged");
    const config = await writeConfig(
      dir,
      itScenario(
        "it-damaged",
        `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 2
apps: [plain]
`,
        "3.11",
      ),
    );
    const report = join(dir, "it-damaged");
    const file = join(report, "results.json");
    const run = (...more: string[]) => cli(["run", "--runtime", "docker", "--config", config, "--out", dir, ...more]);
    const first = await run();
    expect(first.exitCode, first.stderr).toBe(0);
    const good = await readFile(file, "utf8");
    const before = await readResults(file);

    // One hand-edited field: the run used to read no results and replace all of them with its own.
    const edited = good.replace('"outcome":"clean"', '"outcome":"CLEAN"');
    expect(edited).not.toBe(good);
    await writeFile(file, edited);
    const damaged = await snapshot(report);
    const refused = await run();
    expect(refused.exitCode).toBe(2);
    expect(oneLine(refused.stderr)).toMatch(
      new RegExp(`^repro-matrix: ${file}: cells\\[0\\]\\.outcome: one of .*found "CLEAN"; nothing was written: .*--repair`),
    );
    expect(await snapshot(report)).toEqual(damaged);

    // Cut short, as by a crash or a full disk: the same, for run and report alike.
    await writeFile(file, good.slice(0, Math.floor(good.length / 2)));
    const cut = await snapshot(report);
    for (const args of [["run", "--runtime", "docker"], ["report"]]) {
      const r = await cli([...args, "--config", config, "--out", dir]);
      expect(r.exitCode).toBe(2);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^repro-matrix: ${file}: not valid JSON \\(`));
      expect(await snapshot(report)).toEqual(cut);
    }

    await writeFile(file, edited);
    const repaired = await run("--repair");
    expect(repaired.exitCode, repaired.stderr).toBe(0);
    expect(repaired.stderr).toMatch(/kept 1 of 2 cells; the damaged file is .*results\.json\.bad-/);
    const aside = (await readdir(report)).filter((n) => n.startsWith("results.json.bad-"));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(report, aside[0] as string), "utf8")).toBe(edited);
    const after = await readResults(file);
    expect(after.cells).toHaveLength(2);
    // The valid cell was kept (and reused, not run again); the damaged one was run again.
    const kept = before.cells[1];
    expect(after.cells.find((c) => cellIdentity(c) === cellIdentity(kept as never))?.startedAt).toBe(kept?.startedAt);
    expect(after.cells.every((c) => c.outcome === "clean")).toBe(true);
    expect(after.runs.length).toBeGreaterThan(before.runs.length);
  }, 600_000);

  it("an immutable results.json at merge is one line and exit 2, not a stack trace", async () => {
    const dir = await tempDir("store-immutable");
    const shard = join(dir, "shard", "demo");
    const results = {
      schemaVersion: 5,
      scenario: "demo",
      harnessVersion: "0.1.0",
      lastVerified: "2026-11-25",
      cells: [record()],
      runs: [],
    };
    await writeResults(join(shard, "results.json"), results);
    const target = join(dir, "out", "demo", "results.json");
    await writeResults(target, results);
    await execa("chattr", ["+i", target]);
    try {
      const merged = await cli(["merge", join(dir, "shard"), "--out", join(dir, "out")]);
      expect(merged.exitCode).toBe(2);
      expect(oneLine(merged.stderr)).toMatch(new RegExp(`^repro-matrix: cannot write ${target} \\(EPERM\\): .*immutable`));
    } finally {
      await execa("chattr", ["-i", target]);
    }
  });
});
