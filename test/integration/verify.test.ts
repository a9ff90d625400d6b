import { copyFile, readFile } from "node:fs/promises";
import { availableParallelism, machine, release } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cellId } from "../../harness/cell/cell.js";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";
import { readResults, writeResults } from "../helpers/results.js";

const cli = (args: string[]) => execa("node", [BIN, ...args], { reject: false, env: { REPRO_MATRIX_CACHE: CACHE_DIR } });
const today = new Date().toISOString().slice(0, 10);

/**
 * Last-verified dates against real servers: a full run, one cell aged on disk, `verify --stale`
 * re-running exactly that one, `run --only <cell id>` re-running one cell, and a fix page
 * brought up to date from the real results.
 */
describe("last verified, on real servers", () => {
  it("verify --stale re-runs only the stale cell; --only <id> reruns one; page update follows the results", async () => {
    const dir = await tempDir("verify");
    const config = await writeConfig(
      dir,
      itScenario(
        "it-verify",
        `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 2
apps: [plain]
claim: { text: "first fixed release: 0.39.0", firstFixed: 0.39.0, when: { preload: true } }
`,
        "3.11",
      ),
    );
    const file = join(dir, "it-verify", "results.json");
    const read = () => readResults(file);
    const first = await cli(["run", "--runtime", "docker", "--config", config, "--out", dir]);
    expect(first.exitCode, first.stderr).toBe(0);
    const ran = await read();
    expect(ran.cells.map((c) => c.outcome)).toEqual(["clean", "clean"]);
    expect(ran.cells.every((c) => c.harnessVersion && c.evidence.packages.some((p) => p.startsWith("uvicorn==0.39.0")))).toBe(true);
    expect(ran.claim?.verified).toMatchObject({ oldest: today, newest: today, cells: 1 });
    // Where the cells ran, as the engine tells it: this machine, whose engine is local.
    for (const c of ran.cells) {
      expect(c.machine).toMatchObject({
        kernel: release(),
        arch: machine(),
        cpus: availableParallelism(),
        engine: expect.stringMatching(/^Docker \d/),
      });
      expect(c.machine?.remoteEngine).toBeUndefined();
    }

    // Age the no-preload cell by 40 days, as if a month of nightly runs had skipped it.
    const aged = ran.cells.find((c) => !c.preload) as ResultsFile["cells"][number];
    const fresh = ran.cells.find((c) => c.preload) as ResultsFile["cells"][number];
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await writeResults(file, { ...ran, cells: [{ ...aged, startedAt: old }, fresh] });
    const report = await cli(["report", "--config", config, "--out", dir]);
    expect(report.exitCode, report.stderr).toBe(0);
    expect(await readFile(join(dir, "it-verify", "README.md"), "utf8")).toContain("**Stale:** 1 cell was last verified more than 30 days");

    const verify = await cli(["verify", "--stale", "30d", "--runtime", "docker", "--config", config, "--out", dir]);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.stderr).toMatch(/1 cells? in 1 environments?/);
    const verified = await read();
    expect(verified.cells.find((c) => !c.preload)?.startedAt.slice(0, 10)).toBe(today);
    expect(verified.cells.find((c) => c.preload)?.startedAt).toBe(fresh.startedAt);
    expect(await readFile(join(dir, "it-verify", "README.md"), "utf8")).not.toContain("**Stale:**");

    // The rerun command the HTML report offers: one cell, by id.
    const rerun = await cli(["run", "--runtime", "docker", "--config", config, "--out", dir, "--only", cellId(fresh), "--force"]);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    const after = await read();
    expect(after.cells.find((c) => c.preload)?.startedAt).not.toBe(fresh.startedAt);
    expect(after.cells.find((c) => !c.preload)?.startedAt).toBe(verified.cells.find((c) => !c.preload)?.startedAt);
    expect(after.runs.at(-1)?.cells).toBe(1);

    // A fix page follows the real results: out of date first, current after one update.
    const page = join(dir, "page.txt");
    await copyFile("test/fixtures/pages/claim-holds.txt", page);
    const stale = await cli(["page", "check", page, "--results", join(dir, "it-verify")]);
    expect(stale.exitCode, stale.stderr).toBe(1);
    expect((await cli(["page", "update", page, "--results", join(dir, "it-verify")])).exitCode).toBe(0);
    const text = await readFile(page, "utf8");
    expect(text).toContain(`- Last verified: ${today}`);
    expect(text).toContain("| 0.39.0 | Fixed |");
    expect((await cli(["page", "check", page, "--results", join(dir, "it-verify")])).exitCode).toBe(0);
  }, 600_000);

  it("a cell the matrix no longer holds leaves results.json, so it cannot hold the claim's last-verified date back", async () => {
    const dir = await tempDir("verify-narrowed");
    const scenario = (workers: number) =>
      itScenario(
        "it-narrowed",
        `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [true]
workers: ${workers}
apps: [plain]
claim: { text: "first fixed release: 0.39.0", firstFixed: 0.39.0, when: { preload: true } }
`,
        "3.11",
      );
    const file = join(dir, "it-narrowed", "results.json");
    const read = () => readResults(file);
    const run = async (workers: number, extra: string[] = []) => {
      const result = await cli([
        "run",
        "--runtime",
        "docker",
        "--config",
        await writeConfig(dir, scenario(workers)),
        "--out",
        dir,
        ...extra,
      ]);
      expect(result.exitCode, result.stderr).toBe(0);
      return result;
    };
    await run(2);
    // The 2-worker cell was verified 40 days ago; then the scenario moved to 3 workers.
    const ran = await read();
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await writeResults(file, { ...ran, cells: ran.cells.map((c) => ({ ...c, startedAt: old })) });
    const narrowed = await run(3);
    expect(narrowed.stderr).toMatch(/removed from results\.json: 1 recorded cell no longer in .*~w2\)/);
    const after = await read();
    expect(after.cells.map((c) => c.workers)).toEqual([3]);
    expect(after.claim?.verified).toMatchObject({ oldest: today, cells: 1 });

    // --set runs versions of its own choosing: the file's other cells are not its to drop.
    const set = await run(4, ["--set", "uvicorn=0.39.0"]);
    expect(set.stderr).not.toContain("removed from results.json");
    expect((await read()).cells.map((c) => c.workers).sort()).toEqual([3, 4]);
  }, 600_000);
});
