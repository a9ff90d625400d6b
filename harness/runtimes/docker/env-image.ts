import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type Docker from "dockerode";
import { type Pack, pack } from "tar-stream";
import { contentHash } from "../../core/hash.js";
import { normalizeName } from "../../core/package-name.js";
import { untilAborted } from "../../core/until-aborted.js";
import { ANSI_COLOUR, buildFailureCause } from "../../envs/build-failure-cause.js";
import type { BuildFailures } from "../../envs/build-failures.js";
import { BUILD_TOOLS, type Lock, lockText } from "../../envs/lock.js";
import type { DownloadedFile } from "../../envs/prepare-env.js";
import { imageExists, imageId } from "./base-image.js";
import { BASE_REPO } from "./debian-base-image.js";
import { IMAGE_LABEL } from "./labels.js";

/** Where the env's virtualenv lives in the image; cells run its gunicorn. */
export const VENV = "/opt/venv";

const pipInstall = `${VENV}/bin/pip install --no-index --find-links /wheels --disable-pip-version-check --no-cache-dir`;
const pins = (packages: Lock["packages"]) => packages.map((p) => `${p.name}==${p.version}`).join(" ");

/**
 * The packages every version of a sweep shares: the build tools and the other exactly pinned
 * packages (gunicorn), never the anchor whose version the sweep walks, nor packages lifted past
 * its cut-off (they differ by release). They sit in one layer under all of the sweep's env
 * images, so each release's build installs only its own packages.
 */
export function sharedPackages(lock: Lock): { tools: Lock["packages"]; pinned: Lock["packages"] } {
  const tools = new Set(BUILD_TOOLS.map(normalizeName));
  const notShared = new Set([lock.anchor?.split("==")[0] ?? "", ...(lock.fallback?.packages ?? [])].map(normalizeName));
  const pinnedNames = new Set((lock.exempt ?? []).map(normalizeName).filter((n) => !tools.has(n) && !notShared.has(n)));
  return {
    tools: lock.packages.filter((p) => tools.has(normalizeName(p.name))),
    pinned: lock.packages.filter((p) => pinnedNames.has(normalizeName(p.name))),
  };
}

/**
 * The shared layer: a virtualenv with the build tools, so sdists build offline with a known
 * toolchain, and the shared pins, all without their dependencies: those are held to the version's
 * cut-off (wheel's packaging, gunicorn's) and come with it in the layer above. It also holds the
 * harness's uv (when given), which installs each release's layer in a fraction of pip's time.
 */
const sharedRecipe =
  (shared: ReturnType<typeof sharedPackages>, withUv: boolean) =>
  (from: string): string => {
    // The tools first, in a step of their own: a pinned sdist then builds as a wheel, with the
    // wheel package already there, not through setup.py install.
    const steps = [`python3 -m venv ${VENV}`, `${pipInstall} --no-deps --no-build-isolation ${pins(shared.tools)}`];
    if (shared.pinned.length > 0) steps.push(`${pipInstall} --no-deps --no-build-isolation ${pins(shared.pinned)}`);
    return [`FROM ${from}`, "COPY wheels /wheels", ...(withUv ? [`COPY tools/uv ${UV}`] : []), `RUN ${steps.join(" \\\n && ")}`, ""].join(
      "\n",
    );
  };

/** Where the shared layer keeps uv. */
const UV = "/opt/repro-matrix/uv";

/**
 * One sdist compiled into a wheel on the shared layer, the toolchain the version layer would have
 * built it with (pip builds every sdist before installing anything, so nothing else of the lock is
 * in the venv then either). Its tag hashes that toolchain and the sdist, so a sweep compiles each
 * sdist once, and an sdist that does not compile (httptools and uvloop of 2018 on Python 3.9)
 * fails once and is recalled for every release that pins it, instead of minutes of C each time.
 */
const wheelRecipe =
  (sdist: string) =>
  (from: string): string =>
    [`FROM ${from}`, "COPY wheels /wheels", `RUN ${pipWheel} --no-deps --no-build-isolation -w ${BUILT} /wheels/${sdist}`, ""].join("\n");

/** Where a wheel image keeps the wheel it built; the version layer copies it from there. */
const BUILT = "/built";
const pipWheel = `${VENV}/bin/pip wheel --no-index --find-links /wheels --disable-pip-version-check --no-cache-dir`;

/**
 * The version's own layer: offline install of the whole lock from the files the host downloaded
 * and the wheels its sdists compiled into (what the shared layer holds is already satisfied), so
 * what is installed is exactly the lock. By uv when the shared layer has it (bytecode compiled as
 * pip does, so servers boot the same), else by pip; either way pip's own freeze is what the lock
 * is checked against.
 */
const versionRecipe =
  (installer: Installer) =>
  (from: string, wheelImages: string[]): string =>
    [
      `FROM ${from}`,
      "COPY wheels /wheels",
      ...wheelImages.map((image) => `COPY --from=${image} ${BUILT}/ /wheels/`),
      "COPY lock.txt /lock.txt",
      `RUN ${installer === "uv" ? uvInstall : pipInstall} --no-build-isolation -r /lock.txt \\`,
      ` && ${VENV}/bin/pip freeze --all > ${VENV}/freeze.txt \\`,
      ` && echo ${FREEZE_BEGIN} && cat ${VENV}/freeze.txt && echo ${FREEZE_END}`,
      "",
    ].join("\n");

/**
 * The build prints the env's freeze between these lines, so the harness reads it from the build's
 * output instead of starting a container to cat the file (a second or so of every env build on a
 * busy machine). The file stays in the image for envs built before, and for any reader.
 */
const FREEZE_BEGIN = "repro-matrix-freeze-begin";
const FREEZE_END = "repro-matrix-freeze-end";

/** The freeze a version layer's build printed, if its output holds one whole. */
export function freezeInBuildOutput(lines: string[]): string[] | undefined {
  const trimmed = lines.map((l) => l.trim());
  const begin = trimmed.indexOf(FREEZE_BEGIN);
  const end = trimmed.indexOf(FREEZE_END, begin + 1);
  if (begin < 0 || end < 0) return undefined;
  return trimmed.slice(begin + 1, end).filter(Boolean);
}

export type Installer = "uv" | "pip";
const uvInstall = `UV_NO_CACHE=1 ${UV} pip install --python ${VENV}/bin/python --no-index --find-links /wheels --compile-bytecode --quiet`;

/** A file pip must build before it can install it (an sdist: .tar.gz, .zip, …), not a wheel. */
export const isSdist = (f: DownloadedFile) => !basename(f.path).endsWith(".whl");

export type EnvImageResult =
  /**
   * compiled: this call built a wheel layer, i.e. compiled an sdist (a C extension's, minutes at worst).
   * freeze: the env's `pip freeze --all`, when this call built the version layer and its output had it.
   */
  | { ok: true; tag: string; id: string; built: boolean; compiled?: boolean; freeze?: string[] }
  | { ok: false; tag: string; reason: string; log: string };

/**
 * Build (or reuse) the env image in two layers over the base: the shared layer (venv, build
 * tools, pinned packages such as gunicorn) and the version's own, which copies in the wheels its
 * sdists were compiled into on the shared layer. Each tag is a hash of what the image is made of,
 * so a sweep builds the shared layer once, each sdist once, and each release only its packages.
 */
export async function ensureEnvImage(
  ctx: BuildContext,
  baseRef: string,
  lock: Lock,
  files: DownloadedFile[],
  installer: Installer = ctx.uv ? "uv" : "pip",
): Promise<EnvImageResult> {
  const { docker } = ctx;
  const base = baseParent(baseRef, (await docker.getImage(baseRef).inspect()).Id);
  const shared = sharedPackages(lock);
  const sharedNames = new Set([...shared.tools, ...shared.pinned].map((p) => normalizeName(p.name)));
  const isShared = (f: DownloadedFile) => sharedNames.has(normalizeName(f.name));
  const sharedLayer = await ensureLayer(ctx, {
    repo: SHARED_REPO,
    recipe: sharedRecipe(shared, Boolean(ctx.uv)),
    parent: base,
    files: files.filter(isShared),
    ...(ctx.uv ? { tools: [ctx.uv] } : {}),
  });
  if (!sharedLayer.ok) return sharedLayer;
  const parent = { tag: sharedLayer.tag, id: sharedLayer.id };
  const own = files.filter((f) => !isShared(f));
  // The swept release's own sdist is never shared with another release: compiling it apart would
  // only add a build, so it is built with the rest of its layer.
  const anchor = normalizeName(lock.anchor?.split("==")[0] ?? "");
  const compiledApart = (f: DownloadedFile) => isSdist(f) && normalizeName(f.name) !== anchor;
  // One at a time: the first sdist that does not compile already decides the env, and the
  // allowNewer fallback lifts one package per failure anyway.
  const wheelImages: { tag: string; id: string; built: boolean }[] = [];
  for (const sdist of own.filter(compiledApart)) {
    const built = await ensureLayer(ctx, { repo: WHEEL_REPO, recipe: wheelRecipe(basename(sdist.path)), parent, files: [sdist] });
    if (!built.ok) return built;
    wheelImages.push(built);
  }
  const release = await ensureLayer(ctx, {
    repo: ENV_REPO,
    recipe: versionRecipe(installer),
    parent,
    copyFrom: wheelImages,
    files: own.filter((f) => !compiledApart(f)),
    lockText: lockText(lock),
  });
  return release.ok && wheelImages.some((w) => w.built) ? { ...release, compiled: true } : release;
}

/**
 * The base as a parent layer. A base this harness builds (debootstrap, a host interpreter) gets a
 * new id every time it is built, on every machine: its tag, a hash of its recipe, names it in the
 * layers' hashes instead, so env tags (and the cell keys that hold them) are the same on a fresh
 * CI runner as here, and a rebuilt base does not make every recorded cell a new experiment. A
 * registry image keeps its id, which is its content's digest everywhere, while its name
 * (python:3.13-slim) moves from one Python patch release to the next.
 */
export function baseParent(baseRef: string, baseId: string): { tag: string; id: string } {
  return { tag: baseRef.startsWith(`${BASE_REPO}:`) ? baseRef : baseId, id: baseId };
}

/** Image repositories of the layers (the reaper's `clean --images` removes them all). */
export const ENV_REPO = "repro-matrix-env";
export const SHARED_REPO = "repro-matrix-shared";
export const WHEEL_REPO = "repro-matrix-wheel";

interface LayerSpec {
  repo: string;
  /** The Dockerfile, given what it builds on and the images it copies files from. */
  recipe: (from: string, copyFrom: string[]) => string;
  /**
   * The image it builds on: its tag goes into the content hash, its id into FROM, so a parent
   * removed meanwhile fails the build plainly instead of sending Docker to a registry for the tag.
   */
  parent: { tag: string; id: string };
  /** Images it copies built files from; named like the parent, by tag in the hash, by id in the build. */
  copyFrom?: { tag: string; id: string }[];
  files: DownloadedFile[];
  /** Programs the layer copies in (uv), under tools/ by name. */
  tools?: DownloadedFile[];
  lockText?: string;
}

/** The layer's Dockerfile naming the images it uses by tag (for its hash) or by id (to build). */
const dockerfile = (layer: LayerSpec, by: "tag" | "id") =>
  layer.recipe(
    layer.parent[by],
    (layer.copyFrom ?? []).map((i) => i[by]),
  );

export interface BuildContext {
  docker: Docker;
  signal: AbortSignal;
  /** The harness's uv binary (name "uv"): with it, release layers install by uv. */
  uv?: DownloadedFile;
  failures?: BuildFailures;
  /** Builds of one tag in flight: envs that share a layer wait for one build of it, not race it. */
  builds: Map<string, Promise<EnvImageResult>>;
}

async function ensureLayer(ctx: BuildContext, layer: LayerSpec): Promise<EnvImageResult> {
  const { docker, signal, failures, builds: inFlight } = ctx;
  const tag = `${layer.repo}:${contentHash({
    recipe: dockerfile(layer, "tag"),
    files: layer.files.map((f) => [basename(f.path), f.sha256]),
    ...(layer.tools ? { tools: layer.tools.map((t) => [t.name, t.sha256]) } : {}),
    lock: layer.lockText ?? null,
  })}`;
  const running = inFlight.get(tag);
  if (running) {
    const result = await running;
    signal.throwIfAborted();
    return result;
  }
  const build = (async (): Promise<EnvImageResult> => {
    const existing = await imageId(docker, tag);
    if (existing) return { ok: true, tag, id: existing, built: false };
    const failedBefore = await failures?.recall(tag);
    if (failedBefore) return { ok: false, tag, reason: failedBefore.reason, log: failedBefore.log };
    signal.throwIfAborted();
    let attempt = await buildLayer(docker, tag, layer, signal);
    // Failing outside the RUN step says nothing about the recipe: e.g. a cached step image that a
    // concurrent failed build removed as its leftover; nor does a RUN step killed (137: the
    // kernel's OOM killer, or a container removed under it). Once more; a second time is the harness's.
    if (!attempt.ok && (!attempt.inRunStep || attempt.killed) && !signal.aborted) attempt = await buildLayer(docker, tag, layer, signal);
    if (attempt.ok) {
      const freeze = freezeInBuildOutput(attempt.output);
      return { ok: true, tag, id: (await docker.getImage(tag).inspect()).Id, built: true, ...(freeze ? { freeze } : {}) };
    }
    const failure = attempt;
    // An image it builds on gone mid-build (`clean --images`, a prune) says nothing about this recipe.
    for (const used of [layer.parent, ...(layer.copyFrom ?? [])]) {
      if (!(await imageExists(docker, used.id))) {
        throw new Error(`${tag}: the image it builds on (${used.tag}) was removed during the build; run again`);
      }
    }
    signal.throwIfAborted();
    if (!failure.inRunStep) throw new Error(`${tag}: docker build failed twice outside its RUN step: ${failure.reason}`);
    // Only a real failure is remembered (an interrupted build has thrown above); a killed one is
    // reported but built again next time, as the recipe may well work.
    if (!failure.killed) await failures?.remember(tag, { reason: failure.reason, log: failure.log });
    return { ok: false, tag, reason: failure.reason, log: failure.log };
  })();
  inFlight.set(tag, build);
  try {
    return await build;
  } finally {
    inFlight.delete(tag);
  }
}

/** How every layer is built: intermediate containers removed even on failure, and the image labelled as the harness's (not as a container). */
export const BUILD_OPTIONS = {
  rm: true,
  forcerm: true,
  labels: { [IMAGE_LABEL]: "true" },
  // Builds overlap with cells. At an eighth of the engine's default CPU weight (1024, which
  // every cell's container has) they take what cells leave idle, so a cell's boot and probe
  // times are its own, not those of the build next door.
  cpushares: 128,
};

/** Runs one docker build; returns why it failed (pip's own words), or its output lines when it worked. */
async function buildLayer(
  docker: Docker,
  tag: string,
  layer: LayerSpec,
  signal: AbortSignal,
): Promise<{ ok: false; reason: string; log: string; inRunStep: boolean; killed: boolean } | { ok: true; output: string[] }> {
  const tar = pack();
  // The context is fed as the engine reads it, file by file: packed up front, a layer's wheels
  // (tens of MB with uvloop's) sat in the harness's memory, twice over with two builds at once.
  const fed = feedContext(tar, layer);
  fed.catch(() => undefined);
  const stream = await docker.buildImage(tar as unknown as NodeJS.ReadableStream, { t: tag, ...BUILD_OPTIONS, abortSignal: signal });
  // The engine reads the context as it goes: a hung one never finishes reading it.
  await untilAborted(fed, signal);
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
  const lines = output.join("").replace(ANSI_COLOUR, "").split("\n");
  if (!error) return { ok: true, output: lines };
  await removeLeftovers(docker, lines);
  const cause = buildFailureCause(lines);
  // The image it built on heads the log: what the env was layered on is part of what failed.
  return {
    ok: false,
    reason: `image build failed: ${cause ?? error.trim().split("\n").at(-1)}`,
    log: [`(building on ${layer.parent.tag})`, ...lines.slice(-80)].join("\n"),
    inRunStep: failedInRunStep(error),
    killed: /non-zero code: 137|exit code: 137/.test(error),
  };
}

/** Writes the build context into `tar`: the Dockerfile, the lock, then each wheel streamed from disk. */
async function feedContext(tar: Pack, layer: LayerSpec): Promise<void> {
  tar.entry({ name: "Dockerfile" }, dockerfile(layer, "id"));
  if (layer.lockText !== undefined) tar.entry({ name: "lock.txt" }, layer.lockText);
  tar.entry({ name: "wheels/", type: "directory" });
  const entries = [
    ...layer.files.map((f) => ({ name: `wheels/${basename(f.path)}`, path: f.path, mode: 0o644 })),
    ...(layer.tools ?? []).map((t) => ({ name: `tools/${t.name}`, path: t.path, mode: 0o755 })),
  ];
  for (const e of entries) {
    const { size } = await stat(e.path);
    await new Promise<void>((resolve, reject) => {
      const entry = tar.entry({ name: e.name, size, mode: e.mode }, (err) => (err ? reject(err) : resolve()));
      createReadStream(e.path)
        .on("error", reject)
        .pipe(entry as unknown as NodeJS.WritableStream);
    });
  }
  tar.finalize();
}

/**
 * Whether a build's error says its RUN command exited non-zero (the recipe failed), rather than
 * the builder (an image gone, a full disk): the classic builder's words, and BuildKit's.
 */
export function failedInRunStep(error: string): boolean {
  // Docker's classic builder, BuildKit, and Podman's (buildah) words for a RUN step's exit status.
  return /returned a non-zero code: \d+|did not complete successfully: exit code: \d+|building at STEP "RUN [^"]*": while running runtime: exit status \d+/.test(
    error,
  );
}

/**
 * A failed build leaves the images of the steps that worked (COPY wheels, …) untagged behind it:
 * a sweep with a hundred releases that do not build would pile them up, and they pin their parent.
 * Removes the untagged ones the build printed (" ---> <id>" from Docker, "--> <id>" from Podman,
 * which shortens ids to 11 digits); the tagged parent it names stays.
 */
async function removeLeftovers(docker: Docker, lines: string[]): Promise<void> {
  const ids = lines.map((l) => /^\s*-{2,3}> ([0-9a-f]{11,64})\s*$/.exec(l)?.[1]).filter((id): id is string => Boolean(id));
  for (const id of ids.reverse()) {
    const image = await docker
      .getImage(id)
      .inspect()
      .catch(() => undefined);
    const tagged = (image?.RepoTags ?? []).some((t) => t !== "<none>:<none>");
    if (image && !tagged)
      await docker
        .getImage(id)
        .remove()
        .catch(() => undefined);
  }
}
