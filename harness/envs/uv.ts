import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { PrerequisiteError } from "../core/errors.js";
import { lowOnSpace } from "../core/machine-errors.js";

/** Pinned so resolutions do not change when uv does. */
export const UV_VERSION = "0.13.9";

/**
 * uv resolves locks for a Python and platform other than the host's. The harness installs its
 * own pinned copy into the cache (a venv from the host's python3) rather than asking users to.
 */
/** Where ensureUv installs uv: its venv, and the binary. */
export const uvPlaces = (cacheDir: string) => {
  const venv = join(cacheDir, "tools", `uv-${UV_VERSION}`);
  return { venv, uv: join(venv, "bin", "uv") };
};

export async function ensureUv(cacheDir: string, signal?: AbortSignal): Promise<string> {
  const { venv, uv } = uvPlaces(cacheDir);
  if (existsSync(uv)) return uv;
  const steps: [string, string[]][] = [
    ["python3", ["-m", "venv", venv]],
    [join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", `uv==${UV_VERSION}`]],
  ];
  for (const [file, args] of steps) {
    const r = await execa(file, args, { reject: false, cancelSignal: signal, all: true });
    if (r.failed) {
      const full = await lowOnSpace(cacheDir, r.all);
      if (full) throw full;
      throw new PrerequisiteError(`cannot install uv ${UV_VERSION} (needs python3 with venv and PyPI access): ${lastLine(r.all)}`);
    }
  }
  return uv;
}

export const lastLine = (s: string | undefined) =>
  (s ?? "")
    .trim()
    .split("\n")
    .filter((l) => l.trim())
    .at(-1) ?? "";
