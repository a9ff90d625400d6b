import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type Docker from "dockerode";
import { execa } from "execa";
import { contentHash } from "../../core/hash.js";
import { BASE_CHECK_SCRIPT, BaseFacts } from "../../envs/base-facts.js";
import { ANSI_COLOUR } from "../../envs/build-failure-cause.js";
import { hostDebianSuite, hostInterpreterFor } from "../../envs/host-interpreters.js";
import { type BaseImageProvider, BaseUnavailable, imageExists, imageId, rememberBaseCheck } from "./base-image.js";
import { BASE_REPO, DebianBaseImage } from "./debian-base-image.js";
import { IMAGE_LABEL } from "./labels.js";

/** Bumped when the recipe below changes, so images made the old way are not reused. */
const RECIPE = "host-python/3";

/**
 * What an env never needs of a prefix: CPython's own test suite (60–140 MB per version); Tk, whose
 * libraries a minimal Debian lacks (its module does not load on this machine either); the static
 * libpython (extensions link to the shared one, or to nothing); and site-packages: a venv does not
 * see it, ensurepip brings pip from the standard library, and what someone pip-installed into
 * pyenv's Python (numpy, scipy: 800 MB in 3.11 here) must neither bloat nor re-tag the image.
 */
const SKIPPED = [
  "lib/python3*/test",
  "lib/python3*/idlelib",
  "lib/python3*/tkinter",
  "lib/python3*/turtledemo",
  "lib/python3*/lib-dynload/_tkinter*",
  "lib/python3*/config-*/libpython*.a",
  "lib/python3*/site-packages",
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
    // Data, like a missing interpreter: on another distribution this Python's cells cannot be
    // built here, and an era run leaves it out rather than stop.
    if (!suite)
      throw new BaseUnavailable(
        `base ${this.base}: a host interpreter is copied into the Debian suite it was built on, and this machine does not run Debian; use debian:<suite> or a registry image`,
      );
    const debian = await new DebianBaseImage(suite, this.cacheDir).ensure(docker, signal);
    const from = (await imageId(docker, debian.ref)) as string;
    // The Debian base by its tag (a hash of its recipe), not its id, which each build of it changes
    // (env-image.ts baseParent): the image is built FROM the id.
    const inputs = { recipe: RECIPE, check: BASE_CHECK_SCRIPT, from: debian.ref, prefix, files: await manifest(prefix) };
    const tag = `${BASE_REPO}:host-${this.python}-${contentHash(inputs, 12)}`;
    if (await imageExists(docker, tag)) return { ref: tag, built: false };
    const checked = await buildFromPrefix(docker, { tag, from, prefix, workDir: this.cacheDir }, signal);
    // The build ran the base check: its verdict stands for the image, as a later check's would.
    const id = await imageId(docker, tag);
    if (id && checked) await rememberBaseCheck(this.cacheDir, id, checked);
    return { ref: tag, built: true };
  }
}

/** Every file of the prefix an image would hold, by path, size and modification time: cheap, and any change shows. */
async function manifest(prefix: string): Promise<[string, number, number][]> {
  const skipped = SKIPPED.map((p) => new RegExp(`^${p.replaceAll("*", "[^/]*")}$`));
  const files: [string, number, number][] = [];
  // Walked by hand so that skipped folders are never entered (site-packages can hold 50,000 files).
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(join(prefix, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${e.name}` : e.name;
      if (skipped.some((re) => re.test(path))) continue;
      if (e.isDirectory()) await walk(path);
      else {
        const s = await lstat(join(prefix, path));
        files.push([path, s.size, Math.round(s.mtimeMs)]);
      }
    }
  };
  await walk("");
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
): Promise<BaseFacts | undefined> {
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
      labels: { [IMAGE_LABEL]: "true" },
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
    const lines = output.join("").replace(ANSI_COLOUR, "").split("\n");
    if (!error && !packed) return factsIn(lines);
    if (!error) error = `tar: ${packed}`;
    // The check's own line says which module or step failed; else the engine's message.
    const checkFailed = lines.find((l) => l.startsWith("base check failed: "));
    throw new BaseUnavailable(`Python from ${o.prefix}: ${checkFailed ?? `the image did not build: ${error.trim().split("\n").at(-1)}`}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The facts the base check printed during the build (its JSON line), if it printed them whole. */
function factsIn(lines: string[]): BaseFacts | undefined {
  for (const line of lines.filter((l) => l.startsWith('{"python"'))) {
    try {
      const { python, glibc, arch } = JSON.parse(line) as Record<string, unknown>;
      const facts = BaseFacts.safeParse({ python, glibc, arch });
      if (facts.success) return facts.data;
    } catch {
      // Not the check's line after all.
    }
  }
  return undefined;
}
