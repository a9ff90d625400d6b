import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, tempDir } from "../helpers/harness.js";
import { MINIMAL } from "../helpers/scenarios.js";

const isRoot = process.getuid?.() === 0;

/** Everything under a folder, as paths relative to it: what a refused command must not have written. */
const written = async (dir: string) => (await readdir(dir, { recursive: true })).sort();

/**
 * Hostile paths and values on the command line (issue #20): each is one line on stderr naming
 * the flag, exit 2, nothing written, and no hang (the test's timeout would say so), before any
 * engine or index is asked: DOCKER_HOST points nowhere and the scenario's index is not reached.
 */
describe("repro-matrix run refuses hostile flags in one line", () => {
  let root: string;
  let config: string;
  beforeAll(async () => {
    root = await tempDir("bad-flags");
    config = join(root, "matrix.yaml");
    await writeFile(config, MINIMAL);
    await execa("mkfifo", [join(root, "fifo.yaml")]);
    await writeFile(join(root, "a-file"), "not a folder\n");
    // --out is writable, but the scenario's own report folder in it is immutable: the run could
    // not have written its marker or results there.
    await mkdir(join(root, "immutable", "demo"), { recursive: true });
    if (isRoot) await execa("chattr", ["+i", join(root, "immutable", "demo")]);
  });
  afterAll(async () => {
    if (isRoot) await execa("chattr", ["-i", join(root, "immutable", "demo")]);
  });

  const cases: { name: string; args: (root: string) => string[]; line: RegExp; rootOnly?: boolean }[] = [
    {
      name: "--out under /proc (a recursive mkdir there spun at 100% CPU)",
      args: () => ["--out", "/proc/foo"],
      line: /^--out \/proc\/foo: under \/proc, a kernel filesystem/,
    },
    {
      name: "--config a FIFO (reading it blocked for ever)",
      args: (r) => ["--config", join(r, "fifo.yaml")],
      line: /fifo\.yaml: a FIFO \(named pipe\), not a file$/,
    },
    { name: "--out a file", args: (r) => ["--out", join(r, "a-file")], line: /a-file: a file, not a folder$/ },
    { name: "--cache-dir under /dev", args: () => ["--cache-dir", "/dev/shm-not/x"], line: /^--cache-dir \/dev\/shm-not\/x: under \/dev/ },
    {
      name: "--out whose scenario folder is immutable (chattr +i)",
      args: (r) => ["--out", join(r, "immutable")],
      line: /^--out .*immutable\/demo: cannot be written \(read-only, immutable or not yours\) \(EPERM\)$/,
      rootOnly: true,
    },
    {
      name: "--max-age past the dates a Date holds (a RangeError left run-in-progress.json behind)",
      args: () => ["--max-age", "99999999999999999999d"],
      line: /^run: --max-age: "99999999999999999999d" is not a number of days up to \d+d/,
    },
    {
      name: "--set __proto__ (it ran the whole matrix)",
      args: () => ["--set", "__proto__=1"],
      line: /^--set: "__proto__" is not a package name$/,
    },
    {
      name: "--set constructor (it was blamed on the index)",
      args: () => ["--set", "constructor=1.0"],
      line: /^--set: "constructor" is not a package name$/,
    },
    {
      name: "--concurrency 1e6",
      args: () => ["--concurrency", "1e6"],
      line: /^run: --concurrency: "1e6" is not a whole number from 1 to 64/,
    },
  ];

  // chattr needs root: without it, that case is not run rather than passed.
  it.each(cases.filter((c) => isRoot || !c.rootOnly))(
    "$name",
    async ({ args, line }) => {
      const out = join(root, "reports");
      const cache = join(root, "cache");
      const r = await execa("node", [BIN, "run", "--config", config, "--out", out, "--cache-dir", cache, ...args(root)], {
        reject: false,
        env: { REPRO_MATRIX_CACHE: cache, DOCKER_HOST: "unix:///nonexistent/docker.sock" },
      });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr.slice("repro-matrix: ".length)).toMatch(line);
      expect(await written(root)).toEqual(["a-file", "fifo.yaml", "immutable", "immutable/demo", "matrix.yaml"]);
    },
    60_000,
  );
});
