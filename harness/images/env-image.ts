import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type Docker from "dockerode";
import { pack } from "tar-stream";
import type { BuildFailures } from "../envs/build-failures.js";
import { BUILD_TOOLS, type Lock, lockText } from "../envs/lock.js";
import { contentHash } from "../hash.js";
import { imageExists } from "./base-image.js";

/** Where the env's virtualenv lives in the image; cells run its gunicorn. */
export const VENV = "/opt/venv";

/**
 * Offline install from the files the host downloaded: the build has no index to fall back on,
 * so what is installed is exactly the lock. Build tools first, so sdists build without isolation.
 */
function dockerfile(base: string, lock: Lock): string {
  const tools = lock.packages.filter((p) => BUILD_TOOLS.includes(p.name)).map((p) => `${p.name}==${p.version}`);
  const pip = `${VENV}/bin/pip install --no-index --find-links /wheels --disable-pip-version-check --no-cache-dir`;
  return [
    `FROM ${base}`,
    "COPY wheels /wheels",
    "COPY lock.txt /lock.txt",
    `RUN python3 -m venv ${VENV} \\`,
    ` && ${pip} ${tools.join(" ")} \\`,
    ` && ${pip} --no-build-isolation -r /lock.txt \\`,
    ` && ${VENV}/bin/pip freeze --all > ${VENV}/freeze.txt`,
    "",
  ].join("\n");
}

/** pip colours its errors with ANSI escapes; they would only get in the way of matching. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Docker's own message only repeats the RUN line; pip's output says which package broke and how. */
export function buildFailureCause(lines: string[]): string | undefined {
  const failedWheel = lines
    .find((l) => /Failed (building wheel for|to build) /.test(l))
    ?.trim()
    .replace(/^ERROR:\s*/, "");
  const compileError = lines.find((l) => /: error: /.test(l))?.trim();
  if (failedWheel) return compileError ? `${failedWheel} (${compileError.slice(0, 160)})` : failedWheel;
  return lines.findLast((l) => /^\s*(ERROR:|error:|\S*Error:)/.test(l))?.trim();
}

export type EnvImageResult = { ok: true; tag: string; built: boolean } | { ok: false; tag: string; reason: string; log: string };

/** Build (or reuse) the env image; its tag is a hash of base image id, recipe and files. */
export async function ensureEnvImage(
  docker: Docker,
  baseRef: string,
  lock: Lock,
  files: { path: string; sha256: string }[],
  signal: AbortSignal,
  failures?: BuildFailures,
): Promise<EnvImageResult> {
  const baseId = (await docker.getImage(baseRef).inspect()).Id;
  const recipe = dockerfile(baseId, lock);
  const tag = `repro-matrix-env:${contentHash({ recipe, files: files.map((f) => [basename(f.path), f.sha256]) })}`;
  if (await imageExists(docker, tag)) return { ok: true, tag, built: false };
  const failedBefore = await failures?.recall(tag);
  if (failedBefore) return { ok: false, tag, reason: failedBefore.reason, log: failedBefore.log };
  signal.throwIfAborted();

  const tar = pack();
  tar.entry({ name: "Dockerfile" }, recipe);
  tar.entry({ name: "lock.txt" }, lockText(lock));
  tar.entry({ name: "wheels/", type: "directory" });
  for (const f of files) tar.entry({ name: `wheels/${basename(f.path)}` }, await readFile(f.path));
  tar.finalize();

  const stream = await docker.buildImage(tar as unknown as NodeJS.ReadableStream, {
    t: tag,
    rm: true,
    forcerm: true,
    labels: { "repro-matrix.managed": "true" },
  });
  const output: string[] = [];
  let error: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        signal.removeEventListener("abort", onAbort);
        if (err) error ??= err.message;
        resolve();
      },
      (event: { stream?: string; error?: string }) => {
        if (event.stream) output.push(event.stream);
        if (event.error) error ??= event.error;
      },
    );
  });
  if (error) {
    const lines = output.join("").replace(ANSI_COLOUR, "").split("\n");
    const cause = buildFailureCause(lines);
    const failure = { reason: `image build failed: ${cause ?? error.trim().split("\n").at(-1)}`, log: lines.slice(-80).join("\n") };
    // An interrupted build says nothing about the recipe; only a real failure is remembered.
    if (!signal.aborted) await failures?.remember(tag, failure);
    return { ok: false, tag, ...failure };
  }
  return { ok: true, tag, built: true };
}
