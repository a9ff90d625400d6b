import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkInputFile, checkInputFolder, checkNewFile, checkOutputFolder, checkReportFolder } from "../../harness/cli/paths.js";
import { ConfigError } from "../../harness/core/errors.js";
import { tempDir } from "../helpers/harness.js";

const isRoot = process.getuid?.() === 0;

describe("paths given on the command line", () => {
  let dir: string;
  let fifo: string;
  let immutable: string;
  beforeAll(async () => {
    dir = await tempDir("cli-paths");
    fifo = join(dir, "matrix.yaml");
    await execa("mkfifo", [fifo]);
    await writeFile(join(dir, "file.txt"), "x");
    immutable = join(dir, "immutable");
    await mkdir(immutable);
    if (isRoot) await execa("chattr", ["+i", immutable]);
  });
  afterAll(async () => {
    if (isRoot) await execa("chattr", ["-i", immutable]);
  });

  it("refuses a FIFO as --config without opening it (opening would block for ever)", async () => {
    await expect(checkInputFile("--config", fifo)).rejects.toThrow(new ConfigError(`--config ${fifo}: a FIFO (named pipe), not a file`));
    const link = join(dir, "link-to-fifo.yaml");
    await symlink(fifo, link);
    await expect(checkInputFile("--config", link)).rejects.toThrow(/a FIFO \(named pipe\), not a file$/);
  });

  it("refuses a FIFO where a run reads its earlier results back", async () => {
    const report = join(dir, "reports", "demo");
    await mkdir(report, { recursive: true });
    await expect(checkReportFolder("--out", report)).resolves.toBeUndefined();
    await execa("mkfifo", [join(report, "results.json")]);
    await expect(checkReportFolder("--out", report)).rejects.toThrow(
      `--out ${join(report, "results.json")}: a FIFO (named pipe), not a file`,
    );
  });

  it("refuses kernel filesystems, also through a symlink", async () => {
    await expect(checkInputFile("--config", "/proc/self/status")).rejects.toThrow(
      "--config /proc/self/status: under /proc, a kernel filesystem; use a path on a disk",
    );
    await expect(checkInputFile("--config", "/dev/null")).rejects.toThrow(/under \/dev, a kernel filesystem/);
    await expect(checkOutputFolder("--out", "/proc/foo")).rejects.toThrow("--out /proc/foo: under /proc, a kernel filesystem");
    await expect(checkOutputFolder("--cache-dir", "/sys/x/y")).rejects.toThrow(/under \/sys/);
    const link = join(dir, "to-proc");
    await symlink("/proc/self", link);
    await expect(checkOutputFolder("--out", join(link, "new"))).rejects.toThrow(/under \/proc, a kernel filesystem/);
  });

  it("refuses a file where a folder belongs, and a folder where a file does", async () => {
    const file = join(dir, "file.txt");
    await expect(checkOutputFolder("--out", file)).rejects.toThrow(`--out ${file}: a file, not a folder`);
    await expect(checkOutputFolder("--out", join(file, "sub"))).rejects.toThrow(/cannot be used \(ENOTDIR\)/);
    await expect(checkOutputFolder("--out", join(file, "a", "b"))).rejects.toThrow(ConfigError);
    await expect(checkInputFile("--config", dir)).rejects.toThrow(`--config ${dir}: a folder, not a file`);
    await expect(checkInputFolder("merge", file)).rejects.toThrow(`merge ${file}: a file, not a folder`);
  });

  it.skipIf(!isRoot)("refuses a folder that cannot be written (chattr +i), and a new path under it", async () => {
    await expect(checkOutputFolder("--out", immutable)).rejects.toThrow(
      `--out ${immutable}: cannot be written (read-only, immutable or not yours) (EPERM)`,
    );
    await expect(checkOutputFolder("--out", join(immutable, "reports"))).rejects.toThrow(
      `--out ${join(immutable, "reports")}: cannot be written (read-only, immutable or not yours) (${immutable}) (EPERM)`,
    );
  });

  it("accepts a writable folder, or a path a writable folder can hold", async () => {
    await expect(checkOutputFolder("--out", dir)).resolves.toBeUndefined();
    await expect(checkOutputFolder("--out", join(dir, "new", "deeper"))).resolves.toBeUndefined();
    await expect(checkInputFile("--config", join(dir, "file.txt"))).resolves.toBeUndefined();
  });

  it("names a missing input, unless the command says it in its own terms", async () => {
    await expect(checkInputFile("--config", join(dir, "none.yaml"))).rejects.toThrow(/none\.yaml: no such file$/);
    await expect(checkInputFile("--config", join(dir, "none.yaml"), { missingOk: true })).resolves.toBeUndefined();
    await expect(checkInputFolder("merge", join(dir, "none"))).rejects.toThrow(/none: no such folder$/);
  });

  it("refuses to create a file that exists", async () => {
    await expect(checkNewFile("--out", join(dir, "file.txt"))).rejects.toThrow(/file\.txt: already exists/);
    await expect(checkNewFile("--out", join(dir, "scenario.yaml"))).resolves.toBeUndefined();
  });
});
