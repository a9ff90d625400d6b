import { mkdtemp, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { describe, expect, it } from "vitest";
import { lockFolder } from "../../harness/store/folder-lock.js";

describe("the report folder's lock", () => {
  it("names its holder even when found in the gap between taking the lock and writing the owner file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rm-lock-"));
    // Another process took the lock and has not yet written who it is.
    const release = await lockfile.lock(dir, { lockfilePath: join(dir, "results.lock"), realpath: false });
    try {
      const owner = { command: "run", pid: process.pid, host: hostname(), since: new Date().toISOString() };
      setTimeout(() => void writeFile(join(dir, "results.lock.owner.json"), JSON.stringify(owner)), 300);
      await expect(lockFolder(dir, { command: "test", wait: false })).rejects.toThrow(
        new RegExp(`repro-matrix run \\(pid ${process.pid} on .*\\) is writing these results`),
      );
    } finally {
      await release();
    }
  });
});
