import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type Docker from "dockerode";
import { execa } from "execa";
import { PrerequisiteError } from "../../core/errors.js";
import { contentHash } from "../../core/hash.js";
import { BASE_CHECK_SCRIPT } from "../../envs/base-facts.js";
import { ANSI_COLOUR } from "../../envs/build-failure-cause.js";
import { hostDebianSuite, hostInterpreterFor } from "../../envs/host-interpreters.js";
import { type BaseImageProvider, BaseUnavailable, imageExists, imageId } from "./base-image.js";
import { BASE_REPO, DebianBaseImage } from "./debian-base-image.js";

/** Bumped when the recipe below changes, so images made the old way are not reused. */
const RECIPE = "host-python/1";

/**
 * What an env never needs of a prefix: CPython's own test suite (60–140 MB per version) and Tk,
 * whose libraries a minimal Debian lacks (its module does not load on this machine either).
 */
const SKIPPED = [
  "lib/python3*/test",
  "lib/python3*/idlelib",
  "lib/python3*/tkinter",
  "lib/python3*/turtledemo",
  "lib/python3*/lib-dynload/_tkinter*",
];

/**
 * A base image with no registry and no Debian package of the asked Python: an interpreter built
 * on this machine (pyenv's, or any `configure --prefix`) copied into an image of the Debian suite
 * this machine runs, whose libssl, libsqlite3 and libffi it was linked against. The prefix keeps
 * its path (its RUNPATH, sysconfig and script shebangs name it) and goes first on PATH; the
 * suite's gcc and libc6-dev build sdists against the prefix's own headers. The image is tagged by
 * a hash of the suite's image and the prefix's files (paths, sizes, times), and built only when
 * its Python passes the base check (ssl, sqlite3, ctypes, venv with pip).
 */
export class HostPythonBaseImage implements BaseImageProvider {
  readonly recipe: string;

  constructor(
    private readonly base: string,
    private readonly python: string,
    private readonly cacheDir: string,
  ) {
    this.recipe = `${RECIPE} ${base} python${python}`;
  }

  async ensure(docker: Docker, signal: AbortSignal): Promise<{ ref: string; built: boolean }> {
    const found = await hostInterpreterFor(this.base, this.python);
    if (!found.ok) throw new BaseUnavailable(found.reason);
    const { prefix } = found.interpreter;
    const suite = await hostDebianSuite();
    if (!suite)
      throw new PrerequisiteError(
        `base ${this.base}: a host interpreter is copied into the Debian suite it was built on, and this machine does not run Debian; use debian:<suite> or a registry image`,
      );
    const debian = await new DebianBaseImage(suite, this.cacheDir).ensure(docker, signal);
    const from = (await imageId(docker, debian.ref)) as string;
    const tag = `${BASE_REPO}:host-${this.python}-${contentHash({ recipe: RECIPE, from, prefix, files: await manifest(prefix) }, 12)}`;
    if (await imageExists(docker, tag)) return { ref: tag, built: false };
    await buildFromPrefix(docker, { tag, from, prefix, workDir: this.cacheDir }, signal);
    return { ref: tag, built: true };
  }
}

/** Every file of the prefix an image would hold, by path, size and modification time: cheap, and any change shows. */
async function manifest(prefix: string): Promise<[string, number, number][]> {
  const skipped = SKIPPED.map((p) => new RegExp(`^${p.replaceAll("*", "[^/]*")}(/|$)`));
  const entries = await readdir(prefix, { recursive: true, withFileTypes: true });
  const files: [string, number, number][] = [];
  for (const e of entries) {
    if (!e.isFile() && !e.isSymbolicLink()) continue;
    const path = relative(prefix, join(e.parentPath, e.name));
    if (skipped.some((re) => re.test(path))) continue;
    const s = await stat(join(prefix, path)).catch(() => undefined);
    files.push([path, s?.size ?? -1, Math.round(s?.mtimeMs ?? 0)]);
  }
  return files.sort((a, b) => a[0].localeCompare(b[0]));
}

/** Every folder above the prefix, which `nobody` (the cells' user) must be able to pass through. */
const ancestors = (prefix: string): string[] => {
  const dirs: string[] = [];
  for (let d = dirname(prefix); d !== "/"; d = dirname(d)) dirs.unshift(d);
  return dirs;
};

/**
 * `docker build` of the prefix over the suite's image: the context is the Dockerfile, the check
 * script and the prefix, streamed by tar as the engine reads it (a prefix is 100–200 MB).
 */
async function buildFromPrefix(
  docker: Docker,
  o: { tag: string; from: string; prefix: string; workDir: string },
  signal: AbortSignal,
): Promise<void> {
  await mkdir(o.workDir, { recursive: true });
  const work = await mkdtemp(join(o.workDir, "host-base-"));
  try {
    const rel = o.prefix.replace(/^\/+/, "");
    const chmod = ancestors(o.prefix);
    const dockerfile = [
      `FROM ${o.from}`,
      `COPY ${rel} ${o.prefix}`,
      "COPY base-check.py /tmp/base-check.py",
      `RUN ${chmod.length > 0 ? `chmod o+x ${chmod.join(" ")} && ` : ""}${o.prefix}/bin/python3 /tmp/base-check.py --strict && rm /tmp/base-check.py`,
      `ENV PATH=${o.prefix}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      "",
    ].join("\n");
    await writeFile(join(work, "Dockerfile"), dockerfile);
    await writeFile(join(work, "base-check.py"), BASE_CHECK_SCRIPT);
    const excludes = SKIPPED.map((p) => `--exclude=${rel}/${p}`);
    const tar = execa("tar", ["-c", "-C", work, "Dockerfile", "base-check.py", "-C", "/", ...excludes, rel], {
      cancelSignal: signal,
      buffer: false,
      encoding: "buffer",
    });
    tar.catch(() => undefined);
    const stream = await docker.buildImage(tar.stdout as unknown as NodeJS.ReadableStream, {
      t: o.tag,
      rm: true,
      forcerm: true,
      labels: { "repro-matrix.managed": "true" },
      abortSignal: signal,
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
    // The context stream failing (a file unreadable mid-way) truncates the build: say so, not only what the engine saw.
    const packed = await tar.then(
      () => undefined,
      (err: { stderr?: unknown; shortMessage?: string }) => String(err.stderr || err.shortMessage),
    );
    if (!error && !packed) return;
    if (!error) error = `tar: ${packed}`;
    const lines = output.join("").replace(ANSI_COLOUR, "").split("\n");
    // The check's own line says which module or step failed; else the engine's message.
    const checkFailed = lines.find((l) => l.startsWith("base check failed: "));
    throw new BaseUnavailable(`Python from ${o.prefix}: ${checkFailed ?? `the image did not build: ${error.trim().split("\n").at(-1)}`}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
