import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { verdictOf } from "../../harness/bisect/run-bisect.js";
import { BIN, CACHE_DIR, tempDir, writeConfig } from "../helpers/harness.js";
import { makeWheel } from "../helpers/local-wheel.js";

const cli = (args: string[]) => execa("node", [BIN, ...args], { reject: false, env: { REPRO_MATRIX_CACHE: CACHE_DIR } });

// Real releases, real servers, and a fixture whose bug is "fixed in 0.30.0": a known answer.
const SCENARIO = `scenario: it-bisect
packages:
  uvicorn: [0.39.0]
  gunicorn: 23.0.0
python:
  "3.11": { base: "debian:bookworm" }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 2
apps: [signature-before-0-30, plain]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
`;

// A bug that came and went: introduced in 0.30.0, fixed in 0.32.0, so both ends of the list are clean.
const CAME_AND_WENT = `scenario: it-bisect-came-and-went
packages:
  uvicorn: [0.29.0, 0.30.0, 0.30.6, 0.31.1, 0.32.0, 0.33.0]
  gunicorn: 23.0.0
python:
  "3.11": { base: "debian:bookworm" }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [true]
workers: 2
apps: [signature-0-30-to-0-32]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
claim:
  text: "first fixed release: 0.32.0"
  firstFixed: 0.32.0
`;

describe("repro-matrix bisect", () => {
  it("maps outcomes to the claim's question", () => {
    expect(verdictOf("reproduced")).toBe("affected");
    expect(verdictOf("clean")).toBe("clean");
    expect(verdictOf("other-failure")).toBe("clean");
    for (const o of ["install-failed", "boot-failure", "timeout"] as const) expect(verdictOf(o)).toBe("untestable");
  });

  it("finds the release that fixed a known bug in O(log n) cells and prints commands that reproduce both sides", async () => {
    const dir = await tempDir("bisect");
    const config = await writeConfig(dir, SCENARIO);
    const r = await cli([
      "bisect",
      "--config",
      config,
      "--runtime",
      "local",
      "--where",
      "app=signature-before-0-30,preload=true",
      "--versions",
      ">=0.27,<0.33",
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const n = Number(/over (\d+) versions/.exec(r.stdout)?.[1]);
    expect(n).toBeGreaterThan(10);
    const tested = Number(/^(\d+) cells run/m.exec(r.stdout)?.[1]);
    expect(tested).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)) + 4);
    expect(r.stdout).toMatch(/^transition: affected → clean between 0\.29\.0 \(reproduced: .*\) and 0\.30\.0 \(clean: .*\)$/m);
    // Both sides were tested twice (confirmed), and the trail says so.
    expect(r.stdout.match(/0\.29\.0 +affected +\(confirm\)/g)).toHaveLength(1);
    expect(r.stdout.match(/0\.30\.0 +clean +\(confirm\)/g)).toHaveLength(1);

    // The printed command reproduces the affected side on its own.
    const line = /^ {2}reproduce 0\.29\.0: repro-matrix (.*)$/m.exec(r.stdout)?.[1] ?? "";
    const args = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
    const again = await cli([...args, "--out", join(dir, "out")]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toMatch(
      /\[1\/1\] reproduced +py3\.11 uvicorn 0\.29\.0 gunicorn 23\.0\.0 UvicornWorker --preload signature-before-0-30/,
    );
  }, 600_000);

  it("names both transitions of a bug that came and went between two clean ends, starting from --affected", async () => {
    const dir = await tempDir("bisect-came-and-went");
    const config = await writeConfig(dir, CAME_AND_WENT);
    const r = await cli(["bisect", "--config", config, "--runtime", "local", "--where", "preload=true", "--affected", "0.30.6"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^bisect uvicorn over 6 versions \(0\.29\.0 to 0\.33\.0\)/m);
    // --affected first, then both ends: the ends agree, so it samples the claim's boundary and a spread.
    const trail = r.stdout.split("\n").filter((l) => l.startsWith("["));
    expect(trail.slice(0, 3)).toEqual([
      expect.stringMatching(/^\[2\] 0\.30\.6 +affected +\(start\) +reproduced: /),
      expect.stringMatching(/^\[0\] 0\.29\.0 +clean +\(endpoint\) +clean: /),
      expect.stringMatching(/^\[5\] 0\.33\.0 +clean +\(endpoint\) +clean: /),
    ]);
    expect(r.stdout).toMatch(
      /; the ends agreed, so 3 versions between them were sampled: the claim's first fixed release and the one before it \(0\.32\.0, 0\.31\.1\), then a spread \(bound when the ends agree: 2 \+ 3 samples \+ ⌈log2 n⌉ × 2 transitions = 11\)$/m,
    );
    expect(Number(/^(\d+) cells run/m.exec(r.stdout)?.[1])).toBeLessThanOrEqual(11);
    // The samples, not --affected, found the versions beside both transitions: the claim's pair and the quartile.
    for (const v of ["0\\.30\\.0", "0\\.31\\.1", "0\\.32\\.0"])
      expect(r.stdout).toMatch(new RegExp(`^\\[\\d\\] ${v} +\\w+ +\\(sample\\)`, "m"));
    expect(r.stdout).toMatch(/^transition: clean → affected between 0\.29\.0 \(clean: .*\) and 0\.30\.0 \(reproduced: .*\)$/m);
    expect(r.stdout).toMatch(/^transition: affected → clean between 0\.31\.1 \(reproduced: .*\) and 0\.32\.0 \(clean: .*\)$/m);
    for (const side of [/0\.29\.0 +clean/, /0\.30\.0 +affected/, /0\.31\.1 +affected/, /0\.32\.0 +clean/])
      expect(r.stdout).toMatch(new RegExp(`${side.source} +\\(confirm\\)`));
    expect(r.stdout).toMatch(/^ {2}reproduce 0\.30\.0: repro-matrix run /m);
    expect(r.stdout).not.toMatch(/assumed/);
  }, 600_000);

  it("spends no cell on releases whose Requires-Python excludes the Python searched", async () => {
    const dir = await tempDir("bisect-requires-python");
    const config = await writeConfig(
      dir,
      SCENARIO.replace('"3.11": { base: "debian:bookworm" }', '"3.9": { base: "debian:bullseye" }').replace(
        "apps: [signature-before-0-30, plain]",
        "apps: [plain]",
      ),
    );
    const bisect = (versions: string) =>
      cli(["bisect", "--config", config, "--runtime", "docker", "--where", "preload=true", "--versions", versions]);
    // uvicorn 0.40.0 and later declare Requires-Python >=3.10: only 0.38.0 and 0.39.0 are left.
    const r = await bisect(">=0.38,<0.42");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^bisect uvicorn over 2 versions \(0\.38\.0 to 0\.39\.0\)/m);
    expect(r.stdout).toMatch(
      /^not searched, their Requires-Python excludes Python 3\.9\.\d+: >=3\.10: 0\.40\.0 … 0\.41\.0 \(2 versions\)$/m,
    );
    expect(r.stdout).toMatch(/^2 cells run for 2 versions/m);
    expect(r.stdout).not.toMatch(/0\.4[01]\.0 +untestable/);

    const none = await bisect(">=0.40,<0.42");
    expect(none.exitCode).toBe(2);
    expect(none.stderr.trim()).toMatch(
      /^repro-matrix: bisect: only 0 of 2 uvicorn versions install on Python 3\.9\.\d+ \(>=3\.10: 0\.40\.0 … 0\.41\.0 \(2 versions\)\); search another Python$/,
    );
  }, 300_000);

  it("searches a package axis other than uvicorn (--package), from a find-links folder", async () => {
    // rmnightly is on no index; the fixture app logs the signature once it is 1.1 or later.
    const dir = await tempDir("bisect-package");
    await mkdir(join(dir, "dists"));
    for (const v of ["1.0", "1.1", "1.2", "1.3"]) await makeWheel(join(dir, "dists"), "rmnightly", v);
    const config = await writeConfig(
      dir,
      `scenario: it-bisect-package
packages:
  uvicorn: 0.39.0
  gunicorn: 23.0.0
  rmnightly: all
index: { findLinks: [dists] }
python:
  "3.11": { base: "debian:bookworm" }
onlyBinary: [uvloop]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [regresses-with-rmnightly]
signatures: ["RuntimeError: Event loop is closed"]
probes: { count: 8, concurrency: 2, coverageSeconds: 10 }
timeouts: { bootSeconds: 60, cellSeconds: 120, stopSeconds: 5 }
`,
    );
    const r = await cli(["bisect", "--config", config, "--runtime", "local", "--where", "preload=false", "--package", "rmnightly"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^bisect rmnightly over 4 versions \(1\.0 to 1\.3\)/m);
    expect(r.stdout).toMatch(/^transition: clean → affected between 1\.0 \(clean: .*\) and 1\.1 \(reproduced: .*\)$/m);
    // The commands it prints pin rmnightly, not uvicorn.
    expect(r.stdout).toMatch(/^ {2}reproduce 1\.1: repro-matrix run .*--set rmnightly=1\.1/m);
    expect(r.stdout).not.toMatch(/assumed/);
  }, 600_000);

  it("exits 2 when --affected is not a version it searches", async () => {
    const dir = await tempDir("bisect-affected");
    const config = await writeConfig(dir, CAME_AND_WENT);
    const r = await cli(["bisect", "--config", config, "--runtime", "local", "--where", "preload=true", "--affected", "0.28.0"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(
      "repro-matrix: bisect: --affected 0.28.0 is not one of the 6 uvicorn versions searched (0.29.0 to 0.33.0); widen --versions",
    );
  });

  it("exits 2 naming the axes to pin when --where leaves several configurations", async () => {
    const dir = await tempDir("bisect-where");
    const config = await writeConfig(dir, SCENARIO);
    const r = await cli(["bisect", "--config", config, "--runtime", "local", "--where", "app=plain", "--versions", ">=0.29,<0.31"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('repro-matrix: bisect: --where "app=plain" leaves several cells per version; pin preload (false, true)');
  });
});
