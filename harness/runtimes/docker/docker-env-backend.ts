import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import type { EnvSpec } from "../../cell/cell.js";
import { PrerequisiteError } from "../../core/errors.js";
import { writeAtomic } from "../../core/json-file.js";
import { type BaseCheck, checkBase } from "../../envs/base-facts.js";
import type { BuildFailures } from "../../envs/build-failures.js";
import { isHostBase } from "../../envs/host-interpreters.js";
import type { Lock } from "../../envs/lock.js";
import { type DownloadedFile, type EnvBackend, type Installed, type Interpreter, lockDrift } from "../../envs/prepare-env.js";
import { ensureUv } from "../../envs/uv.js";
import { sha256OfFile } from "../../releases/index-page.js";
import { BaseUnavailable, imageId, recalledBaseCheck, rememberBaseCheck } from "./base-image.js";
import { baseImageProvider } from "./base-image-provider.js";
import type { DockerRuntime } from "./docker-runtime.js";
import { type EnvImageResult, ensureEnvImage, type Installer, VENV } from "./env-image.js";

type BuiltImage = Extract<EnvImageResult, { ok: true }>;

/** Envs as images: a base image per Python (built once per run), an env image per lock. */
export class DockerEnvBackend implements EnvBackend {
  /** Base images and their facts are shared by many envs: build and read each once. */
  private readonly bases = new Map<string, Promise<Interpreter>>();
  /** Env image layers being built, shared by envs that need the same one. */
  private readonly builds = new Map<string, Promise<EnvImageResult>>();
  private uv: Promise<DownloadedFile | undefined> | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly runtime: DockerRuntime,
    private readonly cacheDir: string,
    private readonly signal: AbortSignal,
    private readonly failures?: BuildFailures,
  ) {}

  interpreter(spec: EnvSpec): Promise<Interpreter> {
    // A host base (pyenv) stands for a different interpreter per Python version.
    const key = [spec.base, ...(spec.fallbackBases ?? [])].map((b) => (isHostBase(b) ? `${b}|${spec.python}` : b)).join(" else ");
    let p = this.bases.get(key);
    if (!p) {
      p = this.openBase(spec);
      this.bases.set(key, p);
    }
    return p;
  }

  /**
   * The first of the Python's bases this machine can have: `base`, else each fallback in order.
   * A base it cannot have (no such interpreter, not Debian, with fallbacks also a registry out of
   * reach) passes to the next. None left: the cells are install-failed with every base's reason
   * (era leaves the Python out instead). A lone registry base that cannot be pulled stays the
   * run's error (exit 2), as it always was.
   */
  private async openBase(spec: EnvSpec): Promise<Interpreter> {
    await mkdir(this.cacheDir, { recursive: true });
    const bases = [spec.base, ...(spec.fallbackBases ?? [])];
    const passed: [base: string, why: string][] = [];
    for (const base of bases) {
      let ref: string;
      try {
        ({ ref } = await baseImageProvider(base, this.cacheDir, spec.python).ensure(this.docker, this.signal));
      } catch (err) {
        const unreachable = err instanceof PrerequisiteError && bases.length > 1 && !this.signal.aborted;
        if (!(err instanceof BaseUnavailable) && !unreachable) throw err;
        passed.push([base, (err as Error).message]);
        continue;
      }
      const checked = await this.checkedBase(ref);
      if (!checked.ok) return { ok: false, reason: `base ${base} for Python ${spec.python}: ${checked.reason}` };
      return { ok: true, ref, facts: checked.facts };
    }
    const said = passed.map(([base, why]) => `${base}: ${why}`).join("; else ");
    const [[base, why] = ["", ""]] = passed;
    return {
      ok: false,
      reason: passed.length === 1 ? `no Python ${spec.python} base (${base}): ${why}` : `no Python ${spec.python} base: ${said}`,
    };
  }

  /**
   * The base check (facts, ssl, sqlite3, ctypes, venv with pip), run once per image: an image id
   * never changes what it holds, so a warm run reads the verdict instead of starting a container.
   */
  private async checkedBase(ref: string): Promise<BaseCheck> {
    const id = (await imageId(this.docker, ref)) ?? ref;
    const known = await recalledBaseCheck(this.cacheDir, id);
    if (known) return { ok: true, facts: known };
    const checked = await checkBase((i, c, sig) => this.runtime.exec(i, c, sig), ref, "python3", this.signal);
    if (checked.ok) await rememberBaseCheck(this.cacheDir, id, checked.facts);
    return checked;
  }

  /**
   * The env image, its release layer installed by uv; by pip, as users of the release did, when uv
   * cannot give exactly the lock (it fails, or pip's freeze differs from the lock). The image is
   * what the lock check then holds to the lock, whichever installed it.
   */
  async install(interp: Extract<Interpreter, { ok: true }>, lock: Lock, files: DownloadedFile[]): Promise<Installed> {
    const uv = await this.uvFile();
    const ctx = { docker: this.docker, signal: this.signal, builds: this.builds, ...(this.failures ? { failures: this.failures } : {}) };
    return installByUvElsePip(
      uv ? ["uv", "pip"] : ["pip"],
      (installer) => ensureEnvImage({ ...ctx, ...(uv ? { uv } : {}) }, interp.ref, lock, files, installer),
      (image) => this.freezeOf(image),
      lock,
    );
  }

  /** The harness's pinned uv, as a file the shared layer copies in; hashed once per run. */
  private uvFile(): Promise<DownloadedFile | undefined> {
    this.uv ??= ensureUv(this.cacheDir, this.signal).then(async (path) => {
      const sha256 = await sha256OfFile(path);
      return sha256 ? { name: "uv", path, sha256 } : undefined;
    });
    return this.uv;
  }

  /**
   * The env's `pip freeze`, read once per image: the tag is a hash of everything the image was
   * built from, so it never changes, and a warm sweep need not start a container per env to ask.
   */
  private async freezeOf(image: BuiltImage): Promise<string[]> {
    const { tag } = image;
    const file = join(this.cacheDir, "freezes", `${tag.replace(/[^\w.-]+/g, "_")}.txt`);
    // Just built: its build printed the freeze.
    if (image.freeze) {
      await writeAtomic(file, `${image.freeze.join("\n")}\n`);
      return image.freeze;
    }
    const known = await readFile(file, "utf8").catch(() => undefined);
    if (known !== undefined) return known.split("\n").filter(Boolean);
    const freeze = await this.runtime.exec(tag, ["cat", `${VENV}/freeze.txt`], this.signal);
    // A freeze that cannot be read says nothing about the env; reporting drift from it would.
    if (freeze.exitCode !== 0) throw new Error(`${tag}: cannot read ${VENV}/freeze.txt (${freeze.stderr.trim()})`);
    const lines = freeze.stdout.trim().split("\n").filter(Boolean);
    await writeAtomic(file, `${lines.join("\n")}\n`);
    return lines;
  }
}

/**
 * The env by the first installer that gives exactly the lock: uv when it builds and pip's freeze
 * equals the lock, else pip. When none does, the last one's failure (or its drifted env, which the
 * lock check then reports) is the env's.
 */
export async function installByUvElsePip(
  installers: Installer[],
  build: (installer: Installer) => Promise<EnvImageResult>,
  freezeOf: (image: BuiltImage) => Promise<string[]>,
  lock: Lock,
): Promise<Installed> {
  let last: Installed = { ok: false, reason: "no installer", log: "" };
  for (const installer of installers) {
    const image = await build(installer);
    if (!image.ok) {
      last = { ok: false, reason: image.reason, log: image.log };
      continue;
    }
    const freeze = await freezeOf(image);
    last = { ok: true, location: image.tag, built: image.built, freeze, ...(image.compiled ? { compiled: true } : {}) };
    if (lockDrift(lock, freeze).length === 0) return last;
  }
  return last;
}
