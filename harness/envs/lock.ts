import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { z } from "zod";
import { PrerequisiteError } from "../errors.js";
import { contentHash } from "../hash.js";
import type { BaseFacts } from "../images/base-facts.js";
import type { EnvSpec } from "../plan/cells.js";
import { lastLine } from "./uv.js";
import { isNetworkFailure, summarizeUvFailure } from "./uv-errors.js";

/** Bumped when what a cached lock result holds changes, so old entries are not reused. */
const LOCK_FORMAT = 2;

/** Installed inside the image first, so sdists build offline with a known toolchain. */
export const BUILD_TOOLS = ["pip", "setuptools", "wheel"];

export const Lock = z.strictObject({
  strategy: z.literal("latest"),
  /** UTC day of the resolution: "latest" means latest as of this day. */
  resolvedOn: z.string(),
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
export async function resolveLock(
  env: EnvSpec,
  facts: BaseFacts,
  opts: { uv: string; cacheDir: string; signal?: AbortSignal; today?: string },
): Promise<LockResult> {
  const resolvedOn = opts.today ?? new Date().toISOString().slice(0, 10);
  const platform = `${facts.arch}-manylinux_${facts.glibc.replace(".", "_")}`;
  const requirements = [...env.packages.map((p) => `${p.name}==${p.version}`), ...BUILD_TOOLS];
  const key = contentHash({
    format: LOCK_FORMAT,
    requirements,
    constraints: env.constraints,
    onlyBinary: env.onlyBinary,
    python: facts.python,
    platform,
    resolvedOn,
  });
  const dir = join(opts.cacheDir, "locks");
  const file = join(dir, `${key}.json`);
  const cached = await readFile(file, "utf8").then(
    (t) => LockResult.safeParse(JSON.parse(t)),
    () => undefined,
  );
  if (cached?.success) return cached.data;

  const args = ["pip", "compile", "-", "--quiet", "--no-header", "--no-annotate", "--python-version", facts.python];
  args.push("--python-platform", platform);
  for (const name of env.onlyBinary) args.push("--only-binary", name);
  await mkdir(dir, { recursive: true });
  if (env.constraints.length > 0) {
    const constraintsFile = join(dir, `${key}.constraints.txt`);
    await writeFile(constraintsFile, `${env.constraints.join("\n")}\n`);
    args.push("--constraint", constraintsFile);
  }
  const r = await execa(opts.uv, args, {
    input: `${requirements.join("\n")}\n`,
    reject: false,
    cancelSignal: opts.signal,
    env: { UV_NO_CONFIG: "1" },
  });
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
        strategy: "latest",
        resolvedOn,
        python: facts.python,
        platform,
        onlyBinary: env.onlyBinary,
        constraints: env.constraints,
        packages,
      },
    };
  } else if (isNetworkFailure(r.stderr)) {
    throw new PrerequisiteError(`uv could not reach the package index for ${requirements.join(" ")}: ${lastLine(r.stderr)}`);
  } else {
    // No such version, no usable file, an sdist whose metadata cannot be built: the env cannot exist.
    result = { ok: false, reason: summarizeUvFailure(r.stderr), log: r.stderr.slice(-4000) };
  }
  await writeFile(file, JSON.stringify(result, null, 2));
  return result;
}

export const lockText = (lock: Lock) => `${lock.packages.map((p) => `${p.name}==${p.version}`).join("\n")}\n`;
