import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import pLimit from "p-limit";
import { type BaseFacts, readBaseFacts } from "../images/base-facts.js";
import { baseImageProvider } from "../images/base-image.js";
import { ensureEnvImage, VENV } from "../images/env-image.js";
import type { EnvSpec } from "../plan/cells.js";
import { envKey } from "../plan/cells.js";
import type { Runtime } from "../runtimes/runtime.js";
import { type Lock, resolveLock } from "./lock.js";
import { downloadDistFile, PackageFileError, pickDistFile } from "./pypi-files.js";

export type PreparedEnv =
  | { ok: true; key: string; image: string; lock: Lock; freeze: string[]; facts: BaseFacts; imageBuilt: boolean }
  | { ok: false; key: string; reason: string; log: string; lock?: Lock; facts?: BaseFacts; imageBuilt: boolean };

export interface EnvContext {
  docker: Docker;
  runtime: Runtime;
  cacheDir: string;
  uv: string;
  signal: AbortSignal;
}

/** Base images and their facts are shared by many envs: build each once per run. */
const baseMemo = new WeakMap<EnvContext, Map<string, Promise<{ ref: string; built: boolean; facts: BaseFacts }>>>();

function ensureBase(ctx: EnvContext, base: string) {
  let memo = baseMemo.get(ctx);
  if (!memo) {
    memo = new Map();
    baseMemo.set(ctx, memo);
  }
  let p = memo.get(base);
  if (!p) {
    p = (async () => {
      await mkdir(ctx.cacheDir, { recursive: true });
      const { ref, built } = await baseImageProvider(base, ctx.cacheDir).ensure(ctx.docker, ctx.signal);
      return { ref, built, facts: await readBaseFacts(ctx.runtime, ref, ctx.signal) };
    })();
    memo.set(base, p);
  }
  return p;
}

/**
 * env spec → base image → lock → files from PyPI → env image → pip freeze checked against the lock.
 * Every way an env can fail to exist (no such version, no wheel, build error, drift from the
 * lock) is returned as data, so its cells become install-failed with the evidence.
 */
export async function prepareEnv(spec: EnvSpec, ctx: EnvContext): Promise<PreparedEnv> {
  const key = envKey(spec);
  const base = await ensureBase(ctx, spec.base);
  const { facts } = base;
  const locked = await resolveLock(spec, facts, { uv: ctx.uv, cacheDir: ctx.cacheDir, signal: ctx.signal });
  if (!locked.ok) return { ok: false, key, reason: locked.reason, log: locked.log, facts, imageBuilt: false };
  const { lock } = locked;

  const target = { python: facts.python, glibc: facts.glibc, arch: facts.arch };
  const limit = pLimit(4);
  let files: { path: string; sha256: string }[];
  try {
    files = await Promise.all(
      lock.packages.map((p) =>
        limit(async () => {
          const file = await pickDistFile(p.name, p.version, {
            target,
            onlyBinary: spec.onlyBinary.includes(p.name),
            signal: ctx.signal,
          });
          return { path: await downloadDistFile(file, join(ctx.cacheDir, "files"), { signal: ctx.signal }), sha256: file.sha256 };
        }),
      ),
    );
  } catch (err) {
    if (!(err instanceof PackageFileError)) throw err;
    return { ok: false, key, reason: err.message, log: "", lock, facts, imageBuilt: false };
  }

  const image = await ensureEnvImage(ctx.docker, base.ref, lock, files, ctx.signal);
  if (!image.ok) return { ok: false, key, reason: image.reason, log: image.log, lock, facts, imageBuilt: false };
  const freezeRun = await ctx.runtime.exec(image.tag, ["cat", `${VENV}/freeze.txt`], ctx.signal);
  const freeze = freezeRun.stdout.trim().split("\n").filter(Boolean);
  const drift = lockDrift(lock, freeze);
  if (drift.length > 0) {
    return {
      ok: false,
      key,
      reason: `installed packages differ from the lock: ${drift.join(", ")}`,
      log: freeze.join("\n"),
      lock,
      facts,
      imageBuilt: image.built,
    };
  }
  return { ok: true, key, image: image.tag, lock, freeze, facts, imageBuilt: image.built };
}

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** Packages whose installed version is not the locked one: a silent swap would void the result. */
export function lockDrift(lock: Lock, freeze: string[]): string[] {
  const installed = new Map(
    freeze
      .map((l) => l.split("=="))
      .filter((p) => p.length === 2)
      .map(([n, v]) => [normalize(n as string), v as string]),
  );
  return lock.packages
    .filter((p) => installed.get(normalize(p.name)) !== p.version)
    .map((p) => `${p.name} ${installed.get(normalize(p.name)) ?? "missing"} (locked ${p.version})`);
}
