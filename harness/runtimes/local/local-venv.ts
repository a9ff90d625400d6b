import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { execa } from "execa";
import { contentHash } from "../../core/hash.js";
import type { BaseFacts } from "../../envs/base-facts.js";
import { buildFailureCause } from "../../envs/build-failure-cause.js";
import type { BuildFailures } from "../../envs/build-failures.js";
import { BUILD_TOOLS, type Lock, lockText } from "../../envs/lock.js";
import { type DownloadedFile, lockDrift } from "../../envs/prepare-env.js";
import { lastLine } from "../../envs/uv.js";

/** Bumped when how a venv is made changes, so venvs made the old way are not reused. */
const RECIPE = "local-venv/2";
/** Written last: a venv folder without it is a build that died half-way. */
const COMPLETE = ".complete";
const FREEZE = "freeze.txt";
const LOG_LINES = 80;

/** compiled: building it compiled an sdist (no wheel of it in the wheelhouse yet). */
export type LocalVenv =
  | { ok: true; venv: string; built: boolean; freeze: string[]; compiled?: boolean }
  | { ok: false; reason: string; log: string };

export interface LocalVenvOptions {
  /** The real host interpreter (not a shim): venvs point at it for good. */
  python: string;
  facts: BaseFacts;
  lock: Lock;
  /** Exactly the files to install from, one per locked package. */
  files: DownloadedFile[];
  cacheDir: string;
  signal: AbortSignal;
  /** Builds in progress, by venv path: envs that share a lock share one build. */
  builds?: Map<string, Promise<LocalVenv>>;
  /** Failed builds by venv key, so the same inputs are not compiled again to fail again. */
  failures?: BuildFailures;
  /** The harness's uv: it installs the lock, and pip does where uv cannot give exactly the lock. */
  uv?: string;
}

/**
 * The env as a virtualenv on the host, made offline from the downloaded files, like the env
 * image: build tools first, each sdist compiled into a wheel once per interpreter and toolchain
 * (the wheelhouse every venv of that Python shares, as the image's wheel layers are), then the
 * lock without build isolation (by uv, else pip), then `pip freeze --all`. Cached by a hash of
 * interpreter, facts, lock and files. Venvs are not relocatable (script shebangs hold absolute
 * paths), so each is built where it will stay; a build error is data.
 */
export function ensureLocalVenv(o: LocalVenvOptions): Promise<LocalVenv> {
  const key = contentHash({
    recipe: RECIPE,
    python: o.python,
    facts: o.facts,
    lock: lockText(o.lock),
    files: o.files.map((f) => [basename(f.path), f.sha256]),
  });
  const venv = join(o.cacheDir, "venvs", key);
  const inFlight = o.builds;
  let p = inFlight?.get(venv);
  if (!p) {
    p = reuseOrBuild(venv, o).finally(() => inFlight?.delete(venv));
    inFlight?.set(venv, p);
  }
  return p;
}

async function reuseOrBuild(venv: string, o: LocalVenvOptions): Promise<LocalVenv> {
  // bin/python links to the host interpreter: if that is gone, so is the venv.
  if (existsSync(join(venv, COMPLETE)) && existsSync(join(venv, "bin", "python"))) {
    const freeze = await readFile(join(venv, FREEZE), "utf8").catch(() => undefined);
    if (freeze !== undefined) return { ok: true, venv, built: false, freeze: freezeLines(freeze) };
  }
  const key = basename(venv);
  const failedBefore = await o.failures?.recall(`venv-${key}`);
  if (failedBefore) return { ok: false, reason: failedBefore.reason, log: failedBefore.log };
  const built = await build(venv, o);
  // build() throws when aborted, so a failure here is the recipe's own.
  if (!built.ok) await o.failures?.remember(`venv-${key}`, built);
  return built;
}

async function build(venv: string, o: LocalVenvOptions): Promise<LocalVenv> {
  o.signal.throwIfAborted();
  await rm(venv, { recursive: true, force: true });
  await mkdir(dirname(venv), { recursive: true });
  const wheels = join(venv, ".wheels");
  const python = join(venv, "bin", "python");
  const output: string[] = [];
  let complete = false;

  const run = async (file: string, args: string[]) => {
    const r = await execa(file, args, {
      all: true,
      reject: false,
      stdin: "ignore",
      cancelSignal: o.signal,
      extendEnv: false,
      env: buildEnv(venv),
    });
    o.signal.throwIfAborted();
    output.push(`$ ${[file, ...args].join(" ")}`, ...(r.all ? r.all.split("\n") : []));
    return r;
  };
  const failed = (r: { all?: string; shortMessage?: string }): LocalVenv => {
    const lines = (r.all ?? "").split("\n");
    const cause = buildFailureCause(lines) ?? (lastLine(r.all) || r.shortMessage);
    return { ok: false, reason: `venv install failed: ${cause}`, log: output.slice(-LOG_LINES).join("\n") };
  };

  try {
    // No pip from the interpreter's ensurepip (Debian strips it): the lock's own pip wheel
    // bootstraps the venv when there is one.
    const created = await run(o.python, ["-m", "venv", "--without-pip", venv]);
    if (created.failed) return failed(created);

    // Only the given files: pip must not pick another version lying in the shared files cache.
    await mkdir(wheels);
    for (const f of o.files) await symlink(resolve(f.path), join(wheels, basename(f.path)));
    await writeFile(join(venv, "lock.txt"), lockText(o.lock));

    const offline = ["install", "--no-index", "--find-links", wheels, "--disable-pip-version-check", "--no-cache-dir"];
    const pipWheel = o.files.map((f) => basename(f.path)).find((name) => /^pip-[^-]+-.+\.whl$/.test(name));
    let pip: string[];
    if (pipWheel) {
      // pip runs from its own wheel (a zip on sys.path) to install itself and the other tools.
      pip = [join(wheels, pipWheel, "pip")];
    } else {
      const ensured = await run(python, ["-m", "ensurepip", "--default-pip"]);
      if (ensured.failed) return failed(ensured);
      pip = ["-m", "pip"];
    }
    const tools = o.lock.packages.filter((p) => BUILD_TOOLS.includes(p.name)).map((p) => `${p.name}==${p.version}`);
    if (tools.length > 0) {
      const r = await run(python, [...pip, ...offline, ...tools]);
      if (r.failed) return failed(r);
    }
    // The tools are in place, so sdists build with them and nothing is fetched.
    const compiled = await compileSdists(o, { python, wheels, tools, run });
    if ("failed" in compiled) return failed(compiled.failed);
    const installed = await installLock(o, { python, venv, wheels, offline, run });
    if (installed.failed) return failed(installed);
    const frozen = await run(python, ["-m", "pip", "freeze", "--all", "--disable-pip-version-check"]);
    if (frozen.failed) return failed(frozen);
    await writeFile(join(venv, FREEZE), frozen.stdout);
    await writeFile(join(venv, COMPLETE), `${new Date().toISOString()}\n`);
    complete = true;
    return { ok: true, venv, built: true, freeze: freezeLines(frozen.stdout), ...(compiled.count > 0 ? { compiled: true } : {}) };
  } finally {
    // A failed or aborted build leaves nothing; a finished one drops only its links to the
    // shared files cache, which may be pruned later.
    await rm(complete ? wheels : venv, { recursive: true, force: true });
  }
}

type Run = (file: string, args: string[]) => Promise<{ failed: boolean; all?: string; shortMessage?: string; stdout?: unknown }>;

/**
 * Each sdist of the lock as a wheel from the wheelhouse, compiled there first when it is not yet:
 * once per interpreter, its facts, the build tools and the sdist, whatever venv asks. The venv's
 * folder of files then offers the wheel instead of the sdist. Returns how many it compiled.
 */
async function compileSdists(
  o: LocalVenvOptions,
  v: { python: string; wheels: string; tools: string[]; run: Run },
): Promise<{ count: number } | { failed: { all?: string; shortMessage?: string } }> {
  let count = 0;
  for (const f of o.files.filter((x) => !x.path.endsWith(".whl"))) {
    const house = join(o.cacheDir, "wheelhouse", contentHash({ python: o.python, facts: o.facts, tools: v.tools, sdist: f.sha256 }));
    let wheel = (await readdir(house).catch(() => [] as string[])).find((n) => n.endsWith(".whl"));
    if (!wheel) {
      const building = `${house}.${process.pid}.part`;
      await rm(building, { recursive: true, force: true });
      const r = await v.run(v.python, [
        "-m",
        "pip",
        "wheel",
        "--no-index",
        "--find-links",
        v.wheels,
        "--no-deps",
        "--no-build-isolation",
        "--disable-pip-version-check",
        "--no-cache-dir",
        "-w",
        building,
        join(v.wheels, basename(f.path)),
      ]);
      if (r.failed) {
        await rm(building, { recursive: true, force: true });
        return { failed: r };
      }
      // Whole or not at all: a concurrent build of the same sdist leaves one folder either way.
      await rename(building, house).catch(() => rm(building, { recursive: true, force: true }));
      wheel = (await readdir(house)).find((n) => n.endsWith(".whl"));
      count++;
    }
    if (!wheel) continue;
    await rm(join(v.wheels, basename(f.path)), { force: true });
    await symlink(join(house, wheel), join(v.wheels, wheel));
  }
  return { count };
}

/** The lock, installed by uv (bytecode compiled, as pip does) when it can, else by pip. */
async function installLock(
  o: LocalVenvOptions,
  v: { python: string; venv: string; wheels: string; offline: string[]; run: Run },
): Promise<{ failed: boolean; all?: string; shortMessage?: string }> {
  const lockFile = join(v.venv, "lock.txt");
  if (o.uv) {
    const byUv = await v.run(o.uv, [
      "pip",
      "install",
      "--python",
      v.python,
      "--no-index",
      "--find-links",
      v.wheels,
      "--no-build-isolation",
      "--compile-bytecode",
      "--no-cache",
      "--quiet",
      "-r",
      lockFile,
    ]);
    if (!byUv.failed) {
      // pip's own freeze must say it is the lock; if not, pip installs it over (as it would).
      const frozen = await v.run(v.python, ["-m", "pip", "freeze", "--all", "--disable-pip-version-check"]);
      if (!frozen.failed && lockDrift(o.lock, freezeLines(String(frozen.stdout ?? ""))).length === 0) return byUv;
    }
  }
  return v.run(v.python, ["-m", "pip", ...v.offline, "--no-build-isolation", "-r", lockFile]);
}

/**
 * Nothing of the host's pip setup: no PIP_* variables, no config files (PIP_CONFIG_FILE set to
 * /dev/null makes pip skip /etc/xdg/pip and the user's too), so the lock alone decides.
 */
function buildEnv(venv: string): Record<string, string> {
  return {
    PATH: `${venv}/bin:/usr/local/bin:/usr/bin:/bin`,
    HOME: venv,
    LANG: "C.UTF-8",
    PIP_NO_INPUT: "1",
    PIP_CONFIG_FILE: "/dev/null",
    PYTHONNOUSERSITE: "1",
    NO_COLOR: "1",
    // Large sdists build in the temp folder; keep the host's choice of where that is.
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };
}

const freezeLines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
