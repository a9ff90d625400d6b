import { chmod, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envOf } from "../../harness/cell/cell.js";
import { parseScenario } from "../../harness/config/load.js";
import { resolveLock, uvPlatform } from "../../harness/envs/lock.js";
import { ensureUv } from "../../harness/envs/uv.js";
import { expandCells } from "../../harness/plan/expand.js";
import { CACHE_DIR, tempDir } from "../helpers/harness.js";
import { MINIMAL } from "../helpers/scenarios.js";

describe("uv's target platform", () => {
  it("is the image's glibc, clamped to the newest manylinux uv knows", () => {
    expect(uvPlatform({ arch: "x86_64", glibc: "2.31" })).toBe("x86_64-manylinux_2_31");
    expect(uvPlatform({ arch: "x86_64", glibc: "2.40" })).toBe("x86_64-manylinux_2_40");
    expect(uvPlatform({ arch: "aarch64", glibc: "2.41" })).toBe("aarch64-manylinux_2_40");
    expect(uvPlatform({ arch: "x86_64", glibc: "3.1" })).toBe("x86_64-manylinux_2_40");
  });

  it("resolves a real lock for Debian trixie's Python 3.13 and glibc 2.41", async () => {
    const s = parseScenario(MINIMAL.replace('"3.9": { base: "debian:bullseye" }', '"3.13": { base: "debian:trixie" }'));
    const [cell] = expandCells(s, { uvicorn: ["0.39.0"], gunicorn: ["23.0.0"] });
    const signal = new AbortController().signal;
    const uv = await ensureUv(CACHE_DIR, signal);
    const result = await resolveLock(
      envOf(cell as NonNullable<typeof cell>, s),
      { python: "3.13.5", glibc: "2.41", arch: "x86_64" },
      {
        uv,
        cacheDir: await tempDir("lock"),
        signal,
      },
    );
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
    if (result.ok) {
      expect(result.lock.platform).toBe("x86_64-manylinux_2_40");
      expect(result.lock.packages).toContainEqual({ name: "uvicorn", version: "0.39.0" });
    }
  }, 60_000);

  it("caches nothing when the resolution is interrupted", async () => {
    const s = parseScenario(MINIMAL);
    const [cell] = expandCells(s, { uvicorn: ["0.39.0"], gunicorn: ["23.0.0"] });
    const uv = await ensureUv(CACHE_DIR, new AbortController().signal);
    const cacheDir = await tempDir("lock-abort");
    const abort = new AbortController();
    const pending = resolveLock(
      envOf(cell as NonNullable<typeof cell>, s),
      { python: "3.9.2", glibc: "2.31", arch: "x86_64" },
      {
        uv,
        cacheDir,
        signal: abort.signal,
      },
    );
    setTimeout(() => abort.abort(new Error("interrupted")), 5);
    await expect(pending).rejects.toThrow("interrupted");
    expect((await readdir(join(cacheDir, "locks"))).filter((f) => f.endsWith(".json"))).toEqual([]);
  }, 60_000);
});

describe("locks resolved once per run", () => {
  it("shares one uv run between two askers of the same lock (an env warmed ahead and its build)", async () => {
    const s = parseScenario(MINIMAL);
    const [cell] = expandCells(s, { uvicorn: ["0.39.0"], gunicorn: ["23.0.0"] });
    const dir = await tempDir("lock-shared");
    // A uv that counts its runs, then hands over to the real one.
    const real = await ensureUv(CACHE_DIR, new AbortController().signal);
    const counting = join(dir, "uv");
    await writeFile(counting, `#!/bin/sh\necho run >> ${join(dir, "runs")}\nexec ${real} "$@"\n`);
    await chmod(counting, 0o755);
    const inFlight = new Map();
    const ask = () =>
      resolveLock(
        envOf(cell as NonNullable<typeof cell>, s),
        { python: "3.9.2", glibc: "2.31", arch: "x86_64" },
        { uv: counting, cacheDir: join(dir, "cache"), signal: new AbortController().signal, inFlight },
      );
    const [a, b] = await Promise.all([ask(), ask()]);
    expect(b).toEqual(a);
    expect(a.ok).toBe(true);
    expect((await readFile(join(dir, "runs"), "utf8")).trim().split("\n")).toHaveLength(1);
    expect(inFlight.size).toBe(0);
  }, 60_000);
});
