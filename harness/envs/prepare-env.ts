import { join } from "node:path";
import pLimit from "p-limit";
import type { EnvSpec } from "../cell/cell.js";
import { envKey } from "../cell/cell.js";
import { normalizeName } from "../core/package-name.js";
import type { IndexCache } from "../releases/index-page.js";
import { downloadDistFile, PackageFileError, pickDistFile, sourcesOfIndex } from "../releases/pypi-files.js";
import { listReleases, releaseOf, uploadCutoff } from "../releases/releases.js";
import type { BaseFacts } from "./base-facts.js";
import { type Lock, type LockOptions, type LockResult, resolveLock } from "./lock.js";

/** compiled: building it compiled an sdist this run (left out of the median env build: it is the sdist's time, not the harness's). */
type EnvReady = { ok: true; image: string; lock: Lock; freeze: string[]; facts: BaseFacts; imageBuilt: boolean; compiled?: boolean };
type EnvFailure = { ok: false; reason: string; log: string; lock?: Lock; facts?: BaseFacts; imageBuilt: boolean };
export type PreparedEnv = (EnvReady | EnvFailure) & { key: string };

export type Interpreter = { ok: true; ref: string; facts: BaseFacts } | { ok: false; reason: string };
export type Installed =
  | { ok: true; location: string; built: boolean; freeze: string[]; compiled?: boolean }
  | { ok: false; reason: string; log: string };

/**
 * Where an env's packages get installed: an image (docker) or a virtualenv on the host (local).
 * Everything before that, the lock, the files and the fallbacks, is the same for both.
 */
export interface EnvBackend {
  /** The Python the env runs on, or why there is none (a missing host Python is data, not a crash). */
  interpreter(spec: EnvSpec): Promise<Interpreter>;
  install(interpreter: Extract<Interpreter, { ok: true }>, lock: Lock, files: DownloadedFile[]): Promise<Installed>;
}

export interface DownloadedFile {
  /** The package the file installs, as the lock names it. */
  name: string;
  path: string;
  sha256: string;
}

export interface EnvContext {
  backend: EnvBackend;
  cacheDir: string;
  uv: string;
  signal: AbortSignal;
  /** The run's index pages and release lists, shared by its envs. */
  index?: IndexCache;
  /** Locks being resolved, by their cache key: a warm-up and the env's own build share one uv run. */
  locks?: Map<string, Promise<LockResult>>;
}

/**
 * env spec → interpreter → lock → files → installed env → pip freeze checked against the lock.
 * Every way an env can fail to exist (no such version, no wheel, build error, drift from the
 * lock, no host Python) is returned as data, so its cells become install-failed with evidence.
 * Under as-of-release, a failure may lift `allowNewer` packages past the cut-off, one retry per
 * lift, and the lock records what was lifted and why.
 */
export async function prepareEnv(spec: EnvSpec, ctx: EnvContext): Promise<PreparedEnv> {
  const key = envKey(spec);
  const interp = await ctx.backend.interpreter(spec);
  if (!interp.ok) return { ok: false, key, reason: interp.reason, log: "", imageBuilt: false };
  const { facts } = interp;
  // A base whose Python is another version (debian:bullseye for "3.8") would run every cell on
  // the wrong interpreter and call the result the asked one's: the env does not exist.
  if (!facts.python.startsWith(`${spec.python}.`))
    return {
      ok: false,
      key,
      reason: `the base ${spec.base} holds Python ${facts.python}, not ${spec.python}: name a base of that Python`,
      log: "",
      facts,
      imageBuilt: false,
    };

  let cutoff: LockOptions["cutoff"];
  if (spec.resolution.strategy === "as-of-release") {
    const found = await anchorCutoff(spec, ctx.signal, ctx.index);
    if ("reason" in found) return { ok: false, key, reason: found.reason, log: "", facts, imageBuilt: false };
    cutoff = found;
  }

  let fallback: LockOptions["fallback"];
  for (;;) {
    const attempt = await attemptEnv(spec, interp, ctx, cutoff, fallback);
    if (attempt.ok || !cutoff) return { ...attempt, key };
    const lift = nextLift(spec.resolution.allowNewer, fallback?.packages ?? [], attempt);
    if (lift.length === 0) return { ...attempt, key };
    fallback = {
      packages: [...(fallback?.packages ?? []), ...lift],
      because: fallback ? `${fallback.because}; then ${attempt.reason}` : attempt.reason,
    };
  }
}

/**
 * What an env's build first waits on the network for, done ahead of it: its lock (uv asks the
 * index for every dependency's versions) and its files' downloads. A run warms the envs after the
 * ones building, several at a time, so that image builds (CPU, two at a time) do not wait on the
 * index. Everything it makes is cached (locks per day, files by sha256); a failure is left for
 * the env's own build to meet and report.
 */
export async function warmEnv(spec: EnvSpec, ctx: EnvContext): Promise<void> {
  const interp = await ctx.backend.interpreter(spec);
  if (!interp.ok) return;
  const found = spec.resolution.strategy === "as-of-release" ? await anchorCutoff(spec, ctx.signal, ctx.index) : undefined;
  if (found && "reason" in found) return;
  const locked = await resolveLock(spec, interp.facts, {
    uv: ctx.uv,
    cacheDir: ctx.cacheDir,
    signal: ctx.signal,
    ...(ctx.locks ? { inFlight: ctx.locks } : {}),
    ...(found ? { cutoff: found } : {}),
  });
  if (!locked.ok) return;
  await downloadLockFiles(spec, interp.facts, locked.lock, ctx).catch((err: unknown) => {
    if (!(err instanceof PackageFileError)) throw err;
  });
}

/** The anchor's upload time on the index: the moment the env's dependencies are frozen at. */
async function anchorCutoff(
  spec: EnvSpec,
  signal: AbortSignal,
  cache?: IndexCache,
): Promise<{ at: string; anchor: string } | { reason: string }> {
  const anchor = spec.packages[0];
  if (!anchor) return { reason: "as-of-release needs an anchor package" };
  const pin = `${anchor.name}==${anchor.version}`;
  const releases = await listReleases(anchor.name, { sources: sourcesOfIndex(spec.index), signal, ...(cache ? { cache } : {}) });
  const release = releaseOf(releases, anchor.version);
  const at = release ? uploadCutoff(release) : undefined;
  if (!at) return { reason: `as-of-release: ${pin} has no upload time on the index (use resolution.strategy: latest)` };
  return { at, anchor: pin };
}

/**
 * The allowNewer packages to lift after a failure: those its one-line reason names (the package
 * that failed to build), else those its log names, else all that are left. Lifting only what
 * failed keeps every other package as it stood at the cut-off.
 */
export function nextLift(allowNewer: string[], lifted: string[], failure: { reason: string; log: string }): string[] {
  const left = allowNewer.filter((p) => !lifted.map(normalizeName).includes(normalizeName(p)));
  const named = (text: string) => {
    const t = normalizeName(text);
    return left.filter((p) => new RegExp(`(^|[^a-z0-9-])${normalizeName(p)}([^a-z0-9-]|$)`).test(t));
  };
  for (const text of [failure.reason, failure.log]) {
    const found = named(text);
    if (found.length > 0) return found;
  }
  return left;
}

async function attemptEnv(
  spec: EnvSpec,
  interp: Extract<Interpreter, { ok: true }>,
  ctx: EnvContext,
  cutoff: LockOptions["cutoff"],
  fallback: LockOptions["fallback"],
): Promise<EnvReady | EnvFailure> {
  const { facts } = interp;
  const locked = await resolveLock(spec, facts, {
    uv: ctx.uv,
    cacheDir: ctx.cacheDir,
    signal: ctx.signal,
    ...(ctx.locks ? { inFlight: ctx.locks } : {}),
    ...(cutoff ? { cutoff } : {}),
    ...(fallback ? { fallback } : {}),
  });
  if (!locked.ok) return { ok: false, reason: locked.reason, log: locked.log, facts, imageBuilt: false };
  const { lock } = locked;

  let files: DownloadedFile[];
  try {
    files = await downloadLockFiles(spec, facts, lock, ctx);
  } catch (err) {
    if (!(err instanceof PackageFileError)) throw err;
    return { ok: false, reason: err.message, log: "", lock, facts, imageBuilt: false };
  }

  const installed = await ctx.backend.install(interp, lock, files);
  if (!installed.ok) return { ok: false, reason: installed.reason, log: installed.log, lock, facts, imageBuilt: false };
  const drift = lockDrift(lock, installed.freeze);
  if (drift.length > 0) {
    return {
      ok: false,
      reason: `installed packages differ from the lock: ${drift.join(", ")}`,
      log: installed.freeze.join("\n"),
      lock,
      facts,
      imageBuilt: installed.built,
    };
  }
  return {
    ok: true,
    image: installed.location,
    lock,
    freeze: installed.freeze,
    facts,
    imageBuilt: installed.built,
    ...(installed.compiled ? { compiled: true } : {}),
  };
}

/** The file of each locked package for the env's Python and platform, downloaded (or found) in the files cache. */
function downloadLockFiles(spec: EnvSpec, facts: BaseFacts, lock: Lock, ctx: EnvContext): Promise<DownloadedFile[]> {
  const target = { python: facts.python, glibc: facts.glibc, arch: facts.arch };
  const limit = pLimit(4);
  return Promise.all(
    lock.packages.map((p) =>
      limit(async () => {
        const file = await pickDistFile(p.name, p.version, {
          target,
          sources: sourcesOfIndex(spec.index),
          onlyBinary: spec.onlyBinary.includes(p.name),
          signal: ctx.signal,
          ...(ctx.index ? { cache: ctx.index } : {}),
        });
        return {
          name: p.name,
          path: await downloadDistFile(file, join(ctx.cacheDir, "files"), {
            signal: ctx.signal,
            ...(ctx.index ? { cache: ctx.index } : {}),
          }),
          sha256: file.sha256,
        };
      }),
    ),
  );
}

/** Packages whose installed version is not the locked one: a silent swap would void the result. */
export function lockDrift(lock: Lock, freeze: string[]): string[] {
  const installed = new Map(
    freeze
      .map((l) => l.split("=="))
      .filter((p) => p.length === 2)
      .map(([n, v]) => [normalizeName(n as string), v as string]),
  );
  return lock.packages
    .filter((p) => installed.get(normalizeName(p.name)) !== p.version)
    .map((p) => `${p.name} ${installed.get(normalizeName(p.name)) ?? "missing"} (locked ${p.version})`);
}
