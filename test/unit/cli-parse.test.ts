import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { describeFailure } from "../../harness/cli/failure.js";
import { main } from "../../harness/cli/main.js";
import { days, runtimeOption, wholeNumber } from "../../harness/cli/options.js";
import { withVersions } from "../../harness/cli/set-versions.js";
import { parseScenario } from "../../harness/config/load.js";
import { ConfigError, EngineUnresponsiveError } from "../../harness/core/errors.js";
import { HARNESS_VERSION } from "../../harness/core/version.js";
import { RUNTIMES } from "../../harness/runtimes/registry.js";
import { MINIMAL } from "../helpers/scenarios.js";

describe("command line parsing", () => {
  let stdout: string[];
  beforeEach(() => {
    stdout = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("refuses an unknown flag with 'did you mean', naming the command", async () => {
    await expect(main(["run", "--concurency", "2"])).rejects.toThrow(
      new ConfigError("run: unknown option '--concurency'; did you mean --concurrency? (see repro-matrix run --help)"),
    );
    await expect(main(["rn"])).rejects.toThrow(new ConfigError("unknown command 'rn'; did you mean run? (see repro-matrix --help)"));
    await expect(main(["page", "chek", "x.md"])).rejects.toThrow("page: unknown command 'chek'; did you mean check?");
  });

  it("refuses the flags a command would ignore", async () => {
    await expect(main(["report", "--force", "--shard", "9/4"])).rejects.toThrow("report: unknown option '--force'");
    await expect(main(["schema", "--bogus"])).rejects.toThrow("schema: unknown option '--bogus'");
    await expect(main(["verify", "--stale", "30d", "--max-age", "3d"])).rejects.toThrow("verify: unknown option '--max-age'");
    await expect(main(["merge", "a", "--config", "matrix.yaml"])).rejects.toThrow("merge: unknown option '--config'");
    await expect(main(["schema", "extra"])).rejects.toThrow("schema: too many arguments");
  });

  it("refuses values out of bounds, saying the flag, the value and what it takes", async () => {
    await expect(main(["run", "--concurrency", "1e6"])).rejects.toThrow(
      new ConfigError('run: --concurrency: "1e6" is not a whole number from 1 to 64 (see repro-matrix run --help)'),
    );
    await expect(main(["run", "--max-age", "99999999999999999999d"])).rejects.toThrow(
      /^run: --max-age: "99999999999999999999d" is not a number of days up to \d+d \(dates end there\)/,
    );
    await expect(main(["run", "--runtime", "dockr"])).rejects.toThrow(
      'run: --runtime: "dockr" is not one of auto, docker, local; did you mean docker?',
    );
    await expect(main(["run", "--shard", "9/4"])).rejects.toThrow('run: --shard: "9/4" is not i/n with 1 <= i <= n (e.g. --shard 2/4)');
    await expect(main(["verify"])).rejects.toThrow("verify: required option '--stale <days>' not specified");
  });

  it("prints the version, and each command's own help, exit 0", async () => {
    expect(await main(["--version"])).toBe(0);
    expect(stdout.join("")).toBe(`${HARNESS_VERSION}\n`);
    stdout.length = 0;
    expect(await main(["report", "--help"])).toBe(0);
    const help = stdout.join("");
    expect(help).toMatch(/^Usage: repro-matrix report \[options\]\n/);
    expect(help).toMatch(/^ {2}--config <file> +the scenario file \(default matrix\.yaml\)$/m);
    expect(help).not.toContain("--concurrency");
  });

  it("keeps the bounds of each value", () => {
    const concurrency = wholeNumber(1, 64);
    expect(concurrency("64")).toBe(64);
    for (const bad of ["0", "65", "1e6", "2.0", "-1", "", "0x10"])
      expect(() => concurrency(bad), bad).toThrow("a whole number from 1 to 64");
    expect(days("30d")).toBe(30);
    expect(days("0d")).toBe(0);
    expect(() => days("30")).toThrow("a number of days such as 30d");
    // The oldest date a Date holds is 271,821 years back: a day past that is refused, that day is not.
    const now = Date.UTC(2026, 0, 1);
    const last = Math.floor((now + 8.64e15) / 86_400_000);
    expect(days(`${last}d`, now)).toBe(last);
    expect(() => days(`${last + 1}d`, now)).toThrow(`a number of days up to ${last}d`);
  });

  it("offers the runtimes the registry has, each entry naming the adapter it loads", async () => {
    expect(runtimeOption().argChoices).toEqual(["auto", "docker", "local"]);
    expect(runtimeOption().description).toBe("docker, local, or auto: first that opens");
    for (const entry of RUNTIMES) expect((await entry.load()).name).toBe(entry.name);
  });
});

describe("--set", () => {
  const scenario = parseScenario(MINIMAL);

  it("replaces a package axis's versions", () => {
    expect(withVersions(scenario, ["uvicorn=0.29.0,0.30.0"], "matrix.yaml").packages.uvicorn).toEqual({ versions: ["0.29.0", "0.30.0"] });
  });

  it("refuses names an object inherits, by name, and leaves the prototype alone", () => {
    for (const name of ["__proto__", "constructor", "prototype"])
      expect(() => withVersions(scenario, [`${name}=1.0`], "matrix.yaml"), name).toThrow(
        new ConfigError(`--set: "${name}" is not a package name`),
      );
    expect(Object.getPrototypeOf(withVersions(scenario, ["uvicorn=0.30.0"], "m.yaml").packages)).toBe(Object.prototype);
  });

  it("names the axes there are, and the one meant", () => {
    expect(() => withVersions(scenario, ["uvicorm=0.30.0"], "matrix.yaml")).toThrow(
      "--set: uvicorm is not a package axis of matrix.yaml (uvicorn, gunicorn); did you mean uvicorn?",
    );
    expect(() => withVersions(scenario, ["flask=3.0"], "matrix.yaml")).toThrow(
      /^--set: flask is not a package axis of matrix\.yaml \(uvicorn, gunicorn\)$/,
    );
    expect(() => withVersions(scenario, ["uvicorn="], "matrix.yaml")).toThrow('--set: "uvicorn=" is not package=version[,version...]');
  });
});

describe("how a failure ends", () => {
  it("keeps a harness error's message and exit code", () => {
    expect(describeFailure(new ConfigError("--out x: a file, not a folder"))).toEqual({
      line: "--out x: a file, not a folder",
      exitCode: 2,
      exitNow: false,
    });
    expect(describeFailure(new EngineUnresponsiveError("engine silent")).exitNow).toBe(true);
  });

  it("names the path of a file system error, exit 2", () => {
    const err = Object.assign(new Error("EPERM: operation not permitted, mkdir '/srv/ro/demo'"), {
      code: "EPERM",
      syscall: "mkdir",
      path: "/srv/ro/demo",
    });
    expect(describeFailure(err)).toEqual({
      line: "/srv/ro/demo: mkdir failed: operation not permitted (EPERM)",
      exitCode: 2,
      exitNow: false,
    });
  });

  it("says a bug in one line without its stack, exit 1; REPRO_MATRIX_DEBUG adds the stack", () => {
    const bug = new RangeError("Invalid time value\n    at Date.toISOString (<anonymous>)");
    const quiet = describeFailure(bug, false);
    expect(quiet).toEqual({
      line: "internal error, a bug of the harness: RangeError: Invalid time value (REPRO_MATRIX_DEBUG=1 shows where)",
      exitCode: 1,
      exitNow: false,
    });
    expect(describeFailure(bug, true).line).toContain("\n    at ");
  });
});
