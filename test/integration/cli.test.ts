import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { baseImageProvider } from "../../harness/runtimes/docker/base-image-provider.js";
import { connectDocker } from "../../harness/runtimes/docker/docker-engine.js";
import { OWNER_PID_LABEL } from "../../harness/runtimes/docker/labels.js";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";
import { record } from "../helpers/records.js";
import { readResults } from "../helpers/results.js";
import { MINIMAL } from "../helpers/scenarios.js";

const cli = (args: string[], env: Record<string, string> = {}) =>
  execa("node", [BIN, ...args], { reject: false, env: { REPRO_MATRIX_CACHE: CACHE_DIR, ...env } });

describe("repro-matrix CLI", () => {
  it("exits 2 with one line naming the field and line of a malformed matrix.yaml", async () => {
    const dir = await tempDir("cli-bad");
    const config = await writeConfig(dir, MINIMAL.replace("workerClasses:", "workerClass:"));
    const r = await cli(["run", "--config", config, "--out", dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/matrix\.yaml:7: workerClass: unknown field; did you mean workerClasses\?$/m);
  });

  it("exits 2 naming the fix when --runtime docker finds no engine", async () => {
    const dir = await tempDir("cli-noengine");
    const config = await writeConfig(dir, MINIMAL);
    const r = await cli(["run", "--runtime", "docker", "--config", config, "--out", dir], {
      DOCKER_HOST: "unix:///nonexistent/docker.sock",
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(
      "repro-matrix: no Docker engine answers at unix:///nonexistent/docker.sock: start one (e.g. `sudo dockerd`; see README) or set DOCKER_HOST",
    );
  });

  it("--runtime auto with no engine runs the cells on the local runtime and says so", async () => {
    const dir = await tempDir("cli-auto");
    const config = await writeConfig(
      dir,
      itScenario(
        "cli-auto",
        "packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }\nworkerClasses: [uvicorn.workers.UvicornWorker]\npreload: [false]\nworkers: 2\napps: [plain]\n",
        "3.11",
      ),
    );
    // A relative --cache-dir, as `npm run matrix` uses by default: local servers run elsewhere.
    const r = await cli(["run", "--runtime", "auto", "--config", config, "--out", dir, "--cache-dir", relative(process.cwd(), CACHE_DIR)], {
      DOCKER_HOST: "unix:///nonexistent/docker.sock",
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("no Docker engine answers at unix:///nonexistent/docker.sock: running on the local runtime");
    const results = await readResults(join(dir, "cli-auto", "results.json"));
    expect(results.cells.map((c: { runtime: string; outcome: string }) => [c.runtime, c.outcome])).toEqual([["local", "clean"]]);
    expect(results.runs.at(-1)?.runtime).toBe("local");
  }, 300_000);

  it("nightly: reruns nothing unchanged, says what changed, and --fail-on-change exits 1 only then", async () => {
    const dir = await tempDir("cli-nightly");
    const config = await writeConfig(
      dir,
      itScenario(
        "cli-nightly",
        "packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }\nworkerClasses: [uvicorn.workers.UvicornWorker]\npreload: [false]\nworkers: 2\napps: [plain]\n",
        "3.11",
      ),
    );
    const nightly = (...extra: string[]) =>
      cli(["run", "--runtime", "local", "--config", config, "--out", dir, "--fail-on-change", ...extra]);
    const first = await nightly();
    expect(first.exitCode, first.stderr).toBe(1);
    expect(first.stderr).toContain("  new: Python 3.11 · uvicorn 0.39.0: Fixed");
    const same = await nightly();
    expect(same.exitCode, same.stderr).toBe(0);
    expect(same.stderr).toContain("1 reused, no server started");
    expect(same.stderr).toContain("  no change in the compatibility table");
    // For a script: nothing on stderr, the summary as JSON on stdout.
    const quiet = await nightly("--quiet", "--json");
    expect(quiet.exitCode, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe("");
    expect(JSON.parse(quiet.stdout)).toMatchObject({
      completed: true,
      cells: 1,
      cellsReused: 1,
      runtime: "local",
      changes: [],
      dropped: [],
    });
    // A new release on the axis is the one cell that runs.
    const added = await nightly("--set", "uvicorn=0.39.0,0.38.0");
    expect(added.exitCode, added.stderr).toBe(1);
    expect(added.stderr).toContain("  new: Python 3.11 · uvicorn 0.38.0: Fixed");
    expect(added.stderr).toContain("1 reused, no server started");
    // Stale by --max-age: run again even though nothing changed (the same two releases: the
    // file's own one alone would drop 0.38.0's cell, a change).
    const stale = await nightly("--set", "uvicorn=0.39.0,0.38.0", "--max-age", "0d");
    expect(stale.exitCode, stale.stderr).toBe(0);
    expect(stale.stderr).not.toContain("reused, no server started");
  }, 300_000);

  it("report: re-renders README.md from results.json, or exits 2 when there is none", async () => {
    const dir = await tempDir("cli-report");
    const config = await writeConfig(dir, MINIMAL);
    const missing = await cli(["report", "--config", config, "--out", dir]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/demo\/results\.json: no such file; run `repro-matrix run` first/);
    const results = { scenario: "demo", harnessVersion: "0.1.0", lastVerified: "2026-11-25", cells: [record()], runs: [] };
    await mkdir(join(dir, "demo"), { recursive: true });
    await writeFile(join(dir, "demo", "results.json"), JSON.stringify(results));
    const ok = await cli(["report", "--config", config, "--out", dir]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(await readFile(join(dir, "demo", "README.md"), "utf8")).toContain("| 0.11.4 | Fixed (1/1 cells clean) |");
  });

  it("exits 2 when --only matches no cell", async () => {
    const dir = await tempDir("cli-only");
    const config = await writeConfig(dir, MINIMAL);
    const r = await cli(["run", "--config", config, "--out", dir, "--only", "uvicorn=0.11.9"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('repro-matrix: --only "uvicorn=0.11.9": matches none of the scenario\'s cells');
  });

  it("prints each command's own help, one line per option, and exits 0", async () => {
    const commands = [
      "run",
      "verify",
      "report",
      "merge",
      "bisect",
      "nightly",
      "page",
      "page update",
      "page check",
      "init",
      "doctor",
      "schema",
      "clean",
    ];
    for (const command of commands) {
      const r = await cli([...command.split(" "), "--help"]);
      expect(r.exitCode, command).toBe(0);
      expect(r.stderr, command).toBe("");
      expect(r.stdout, command).toMatch(new RegExp(`^Usage: repro-matrix ${command} `));
      const lines = r.stdout.split("\n");
      expect(
        lines.filter((l) => l.length > 80),
        command,
      ).toEqual([]);
      // An option's description continued on a line of its own would sit under the descriptions' column.
      const options = lines.slice(lines.indexOf("Options:") + 1);
      expect(
        options.filter((l) => /^ {6,}\S/.test(l)),
        command,
      ).toEqual([]);
      expect(
        options.some((l) => /^ {2}-h, --help +print help$/.test(l)),
        command,
      ).toBe(true);
    }
    // Options once explained only in the README have their line; another command's have none.
    const run = await cli(["run", "--help"]);
    expect(run.stdout).toMatch(/^ {2}--resume +keep the finished cells of a run that was killed$/m);
    expect(run.stdout).toMatch(/^ {2}--max-age <days> +run again results verified over <days> ago, e\.g\. 30d$/m);
    expect(run.stdout).not.toContain("--where");
    const top = await cli(["--help"]);
    expect(top.stdout).toMatch(/^ {2}bisect +find where the outcome changes, in O\(log n\) cells$/m);
    expect(top.stdout).toContain("130 interrupted");
  });

  it("doctor --json: the checks as data, exit 1 when one fails", async () => {
    const dir = await tempDir("cli-doctor-json");
    const r = await cli(["doctor", "--json", "--runtime", "local", "--config", join(dir, "none.yaml")]);
    expect(r.exitCode, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.checks).toContainEqual(expect.objectContaining({ name: "config", status: "fail" }));
  }, 120_000);

  it("prints its version", async () => {
    const r = await cli(["--version"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(JSON.parse(await readFile("package.json", "utf8")).version);
  });

  it("runs the harness in its own process with the heap flags that keep its memory down", async () => {
    const dir = await tempDir("cli-v8-flags");
    // Preloaded into the process that runs the harness: says which process that is and how it was started.
    const probe = join(dir, "say-flags.mjs");
    await writeFile(
      probe,
      'process.on("exit", () => process.stderr.write("\\nflags " + process.pid + " " + process.execArgv.join(" ") + "\\n"));\n',
    );
    const child = execa(process.execPath, ["--import", probe, BIN, "--help"], { reject: false });
    const r = await child;
    expect(r.exitCode).toBe(0);
    const [, pid, flags] = /flags (\d+) (.*)/.exec(r.stderr) ?? [];
    // The same pid the caller started: a signal or a kill sent to it reaches the harness, not a wrapper.
    expect(Number(pid)).toBe(child.pid);
    expect(flags).toContain("--heap-growing-percent=25");
    expect(flags).toContain(`--import ${probe}`);
  });

  it("exits 2 naming REPRO_MATRIX_ENGINE_TIMEOUT when it is not a number of seconds, before touching the engine", async () => {
    const dir = await tempDir("cli-engine-timeout");
    const config = await writeConfig(dir, MINIMAL);
    const r = await execa("node", [BIN, "run", "--runtime", "docker", "--config", config, "--out", dir], {
      reject: false,
      env: { REPRO_MATRIX_CACHE: CACHE_DIR, REPRO_MATRIX_ENGINE_TIMEOUT: "soon" },
    });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(
      'repro-matrix: REPRO_MATRIX_ENGINE_TIMEOUT: "soon" is not a number of seconds (e.g. 60); unset it for the default',
    );
  });

  it("refuses an unknown flag or command on stderr with 'did you mean', exit 2", async () => {
    const cases: [string[], string][] = [
      [
        ["run", "--concurency", "2"],
        "repro-matrix: run: unknown option '--concurency'; did you mean --concurrency? (see repro-matrix run --help)",
      ],
      [["rn"], "repro-matrix: unknown command 'rn'; did you mean run? (see repro-matrix --help)"],
      [
        ["doctor", "--runtime", "lokal"],
        'repro-matrix: doctor: --runtime: "lokal" is not one of auto, docker, local; did you mean local? (see repro-matrix doctor --help)',
      ],
      // Flags the command would ignore were once accepted in silence.
      [["report", "--force", "--shard", "9/4"], "repro-matrix: report: unknown option '--force' (see repro-matrix report --help)"],
      [["schema", "--bogus"], "repro-matrix: schema: unknown option '--bogus' (see repro-matrix schema --help)"],
    ];
    for (const [args, line] of cases) {
      const r = await cli(args);
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stdout, args.join(" ")).toBe("");
      expect(r.stderr, args.join(" ")).toBe(line);
    }
    // No command: the overview, on stderr since it is not what was asked for.
    const none = await cli([]);
    expect(none.exitCode).toBe(2);
    expect(none.stdout).toBe("");
    expect(none.stderr).toMatch(/^Usage: repro-matrix \[options\] \[command\]/);
  });

  it("on Ctrl-C mid-run: stops every container, keeps finished cells, exits 130", async () => {
    const dir = await tempDir("cli-sigint");
    const config = await writeConfig(
      dir,
      itScenario(
        "it-sigint",
        `packages: { uvicorn: 0.39.0, gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker, uvicorn.workers.UvicornH11Worker]
preload: [false, true]
workers: 4
apps: [plain, lifespan]
`,
      ),
    );
    const child = execa("node", [BIN, "run", "--config", config, "--out", dir, "--concurrency", "2"], {
      reject: false,
      env: { REPRO_MATRIX_CACHE: CACHE_DIR },
    });
    // Interrupt once the first cell has finished, while others are running.
    await new Promise<void>((resolve) => {
      child.stderr?.on("data", (b: Buffer) => {
        if (/\[1\/8\]/.test(b.toString())) resolve();
      });
      void child.then(() => resolve());
    });
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    const docker = await connectDocker();
    const left = await docker.listContainers({ all: true, filters: { label: [`${OWNER_PID_LABEL}=${child.pid}`] } });
    expect(left).toEqual([]);
    const results = await readResults(join(dir, "it-sigint", "results.json"));
    expect(results.runs.at(-1)?.completed).toBe(false);
    expect(results.cells.length).toBeGreaterThanOrEqual(1);
    expect(results.cells.length).toBeLessThan(8);
  }, 600_000);
});

describe("repro-matrix clean", () => {
  // Note: clean removes every harness container on the engine, so do not run the tests beside a live matrix run.
  it("removes harness containers, even those of a live owner, and leaves others alone", async () => {
    const docker = await connectDocker();
    // Any small image will do; the base image is built (or reused) the way a run would.
    const { ref: image } = await baseImageProvider("debian:bullseye", CACHE_DIR).ensure(docker, new AbortController().signal);
    const harnessOwned = await docker.createContainer({
      Image: image,
      Cmd: ["sleep", "300"],
      Labels: { "repro-matrix.managed": "true", [OWNER_PID_LABEL]: String(process.pid) },
    });
    const foreign = await docker.createContainer({ Image: image, Cmd: ["sleep", "300"], Labels: { "someone.else": "true" } });
    try {
      await harnessOwned.start();
      const r = await cli(["clean"]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^removed [1-9]\d* container\(s\)$/m);
      await expect(harnessOwned.inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await foreign.inspect()).Id).toBe(foreign.id);
    } finally {
      await harnessOwned.remove({ force: true }).catch(() => undefined);
      await foreign.remove({ force: true });
    }
  }, 600_000);
});
