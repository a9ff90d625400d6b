import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { z } from "zod";
import type { EnvSpec } from "../cell/cell.js";
import { PrerequisiteError } from "../core/errors.js";
import { contentHash } from "../core/hash.js";
import { readJsonFile, writeAtomic } from "../core/json-file.js";
import { type PackageSources, sourcesOfIndex } from "../releases/pypi-files.js";
import type { BaseFacts } from "./base-facts.js";
import { lastLine } from "./uv.js";
import { isNetworkFailure, isUsageError, summarizeUvFailure } from "./uv-errors.js";

/** Bumped when what a cached lock result holds changes, so old entries are not reused. */
const LOCK_FORMAT = 4;

/** Installed inside the image first, so sdists build offline with a known toolchain. */
export const BUILD_TOOLS = ["pip", "setuptools", "wheel"];

export const Lock = z.strictObject({
  strategy: z.enum(["latest", "as-of-release"]),
  /** UTC day of the resolution: "latest" means latest as of this day. */
  resolvedOn: z.string(),
  /** as-of-release: nothing uploaded after this moment, the anchor release's upload time. */
  cutoff: z.string().optional(),
  /** The release whose upload time is the cut-off, e.g. uvicorn==0.2.5. */
  anchor: z.string().optional(),
  /** Not held to the cut-off: pinned axis packages and the installer itself. */
  exempt: z.array(z.string()).optional(),
  /** Packages lifted past the cut-off because the env could not exist otherwise (allowNewer). */
  fallback: z.strictObject({ packages: z.array(z.string()), because: z.string() }).optional(),
  /** Indexes and folders beyond PyPI that the resolution could use. */
  sources: z.strictObject({ indexUrl: z.string(), extraIndexUrls: z.array(z.string()), findLinks: z.array(z.string()) }).optional(),
  python: z.string(),
  platform: z.string(),
  onlyBinary: z.array(z.string()),
  constraints: z.array(z.string()),
  packages: z.array(z.strictObject({ name: z.string(), version: z.string() })),
});
export type Lock = z.infer<typeof Lock>;

export const LockResult = z.discriminatedUnion("ok", [
  z.strictObject({ ok: z.literal(true), lock: Lock }),
  z.strictObject({ ok: z.literal(false), reason: z.string(), log: z.string() }),
]);
export type LockResult = z.infer<typeof LockResult>;

/**
 * Resolve exact pins for an env with uv, for the image's Python and glibc (not the host's).
 * Cached per UTC day: a re-run the same day reuses the lock, and so the image.
 * An unsatisfiable request (no such version) is a result; a network failure is the harness's.
 */
export interface LockOptions {
  uv: string;
  cacheDir: string;
  signal?: AbortSignal;
  today?: string;
  /** as-of-release: the anchor release and its upload time; absent for latest. */
  cutoff?: { at: string; anchor: string };
  /** Packages allowed past the cut-off for this attempt, and the failure that made it necessary. */
  fallback?: { packages: string[]; because: string };
  /** Resolutions in flight, by cache key: two askers of one lock (a warm-up and the build) share one uv run. */
  inFlight?: Map<string, Promise<LockResult>>;
}

/**
 * Packages not held to an as-of-release cut-off: every exactly pinned requirement (the matrix
 * chose its version) and the installer, which must run on today's Python whatever the app's age.
 */
export function exemptFromCutoff(env: EnvSpec): string[] {
  const pinned = env.requirements.filter((r) => /==\s*[^\s,]+$/.test(r)).map((r) => (r.split(/[=<>!~\s[]/)[0] as string).toLowerCase());
  return [...new Set([...env.packages.map((p) => p.name.toLowerCase()), ...pinned, ...BUILD_TOOLS])];
}

export async function resolveLock(env: EnvSpec, facts: BaseFacts, opts: LockOptions): Promise<LockResult> {
  const resolvedOn = opts.today ?? new Date().toISOString().slice(0, 10);
  const platform = uvPlatform(facts);
  const requirements = [
    ...env.packages.map((p) => `${p.name}${p.extras ? `[${p.extras.join(",")}]` : ""}==${p.version}`),
    ...env.requirements,
    ...BUILD_TOOLS,
  ];
  const exempt = opts.cutoff ? [...exemptFromCutoff(env), ...(opts.fallback?.packages ?? [])] : [];
  const sources = sourcesOfIndex(env.index);
  const key = contentHash({
    format: LOCK_FORMAT,
    requirements,
    constraints: env.constraints,
    onlyBinary: env.onlyBinary,
    python: facts.python,
    platform,
    resolvedOn,
    cutoff: opts.cutoff ?? null,
    exempt,
    sources,
  });
  const dir = join(opts.cacheDir, "locks");
  const file = join(dir, `${key}.json`);
  const cached = await readJsonFile(file, LockResult);
  if (cached) return cached;
  const running = opts.inFlight?.get(key);
  if (running) return running;
  const resolving = resolveWithUv(env, facts, opts, { requirements, exempt, sources, platform, resolvedOn, dir, file, key });
  opts.inFlight?.set(key, resolving);
  try {
    return await resolving;
  } finally {
    opts.inFlight?.delete(key);
  }
}

/** uv's resolution of the lock, written to the day's cache unless it was interrupted or failed for want of the network. */
async function resolveWithUv(
  env: EnvSpec,
  facts: BaseFacts,
  opts: LockOptions,
  k: {
    requirements: string[];
    exempt: string[];
    sources: PackageSources;
    platform: string;
    resolvedOn: string;
    dir: string;
    file: string;
    key: string;
  },
): Promise<LockResult> {
  const { requirements, exempt, sources, platform, resolvedOn, dir, file, key } = k;

  const args = await uvCompileArgs(env, facts.python, platform, {
    sources,
    exempt,
    dir,
    key,
    ...(opts.cutoff ? { cutoff: opts.cutoff.at } : {}),
  });
  const r = await execa(opts.uv, args, {
    input: `${requirements.join("\n")}\n`,
    reject: false,
    cancelSignal: opts.signal,
    // No managed-Python downloads: the target interpreter is the image's, named by version only.
    env: { UV_NO_CONFIG: "1", UV_PYTHON_DOWNLOADS: "never" },
  });
  // Interrupted or killed: no answer about the env, and nothing to cache for the rest of the day.
  opts.signal?.throwIfAborted();
  if (typeof r.exitCode !== "number") throw new Error(`uv did not finish: ${r.shortMessage}`);
  let result: LockResult;
  if (r.exitCode === 0) {
    const packages = r.stdout
      .split("\n")
      .map((l) => l.trim().match(/^([A-Za-z0-9._-]+)==([^\s;]+)/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => ({ name: (m[1] as string).toLowerCase(), version: m[2] as string }));
    result = {
      ok: true,
      lock: {
        strategy: opts.cutoff ? "as-of-release" : "latest",
        resolvedOn,
        ...(opts.cutoff ? { cutoff: opts.cutoff.at, anchor: opts.cutoff.anchor, exempt } : {}),
        ...(opts.fallback ? { fallback: opts.fallback } : {}),
        ...(sources.indexUrl !== PYPI_SIMPLE || sources.extraIndexUrls.length > 0 || sources.findLinks.length > 0 ? { sources } : {}),
        python: facts.python,
        platform,
        onlyBinary: env.onlyBinary,
        constraints: env.constraints,
        packages,
      },
    };
  } else if (isUsageError(r.stderr)) {
    // uv refused its own arguments: a fault of the harness, never a fact about the env.
    throw new Error(`uv rejected the harness's arguments: ${r.stderr.trim().split("\n").slice(0, 3).join(" ")}`);
  } else if (isNetworkFailure(r.stderr)) {
    throw new PrerequisiteError(`uv could not reach the package index for ${requirements.join(" ")}: ${lastLine(r.stderr)}`);
  } else {
    // No such version, no usable file, an sdist whose metadata cannot be built: the env cannot exist.
    result = { ok: false, reason: summarizeUvFailure(r.stderr), log: r.stderr.slice(-4000) };
  }
  await writeAtomic(file, JSON.stringify(result, null, 2));
  return result;
}

/** `uv pip compile`'s arguments for an env; a constraints file, if any, is written beside the lock. */
async function uvCompileArgs(
  env: EnvSpec,
  python: string,
  platform: string,
  o: { sources: PackageSources; exempt: string[]; dir: string; key: string; cutoff?: string },
): Promise<string[]> {
  const { sources, exempt, dir, key } = o;
  const args = ["pip", "compile", "-", "--quiet", "--no-header", "--no-annotate", "--python-version", python];
  args.push("--python-platform", platform);
  for (const name of env.onlyBinary) args.push("--only-binary", name);
  args.push("--index-url", sources.indexUrl);
  for (const url of sources.extraIndexUrls) args.push("--extra-index-url", url);
  for (const folder of sources.findLinks) args.push("--find-links", folder);
  if (o.cutoff) {
    args.push("--exclude-newer", o.cutoff);
    // Exempt packages get no limit at all ("false"), not "before the end of today": a date
    // drops every file without an upload time, which is every file of a PEP 503 HTML index
    // (a private index), so a pinned package from one could never resolve. The lock cache is
    // per day anyway, so a cached lock still means what a fresh resolution that day would.
    for (const name of exempt) args.push("--exclude-newer-package", `${name}=false`);
  }
  await mkdir(dir, { recursive: true });
  if (env.constraints.length > 0) {
    const constraintsFile = join(dir, `${key}.constraints.txt`);
    await writeFile(constraintsFile, `${env.constraints.join("\n")}\n`);
    args.push("--constraint", constraintsFile);
  }
  return args;
}

const PYPI_SIMPLE = "https://pypi.org/simple";

/** The newest manylinux glibc the pinned uv can target (its --python-platform list ends there). */
const UV_NEWEST_MANYLINUX = [2, 40] as const;

/**
 * uv's target platform for the image's glibc. A newer glibc (trixie has 2.41) is clamped to the
 * newest uv knows: a manylinux_2_40 wheel runs on glibc 2.41, and the file picked for the image
 * is still chosen by the image's real glibc (pickDistFile), so nothing installable is lost.
 */
export function uvPlatform(facts: Pick<BaseFacts, "arch" | "glibc">): string {
  const [major, minor] = facts.glibc.split(".").map(Number) as [number, number];
  const [maxMajor, maxMinor] = UV_NEWEST_MANYLINUX;
  const clamped = major > maxMajor || (major === maxMajor && minor > maxMinor) ? [maxMajor, maxMinor] : [major, minor];
  return `${facts.arch}-manylinux_${clamped.join("_")}`;
}

export const lockText = (lock: Lock) => `${lock.packages.map((p) => `${p.name}==${p.version}`).join("\n")}\n`;
