import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import { execa } from "execa";
import { PrerequisiteError } from "../../core/errors.js";
import { contentHash } from "../../core/hash.js";
import { debianMirror } from "../../core/settings.js";
import { lastLine } from "../../envs/uv.js";
import type { BaseImageProvider } from "./base-image.js";
import { imageExists } from "./base-image.js";

/** The repository base images are tagged in (the reaper's `clean --images` removes it too). */
export const BASE_REPO = "repro-matrix-base";

/** Python, venv, and a C toolchain so sdists of httptools/uvloop-era packages can build. */
const PACKAGES = ["python3", "python3-venv", "python3-dev", "gcc", "libc6-dev"];
const MIRROR = debianMirror();

/**
 * A base image made with no container registry: debootstrap a minimal Debian suite into a
 * folder, then `docker import` it. Needs root (debootstrap chroots) and Debian's mirror.
 */
export class DebianBaseImage implements BaseImageProvider {
  readonly recipe: string;
  /** The image tag: the suite and a hash of the recipe, so a changed recipe is a new image. */
  readonly tag: string;

  constructor(
    private readonly suite: string,
    private readonly cacheDir: string,
  ) {
    this.recipe = `debootstrap --variant=minbase --include=${PACKAGES.join(",")} ${suite}`;
    this.tag = `${BASE_REPO}:${suite}-${contentHash(this.recipe, 12)}`;
  }

  async ensure(docker: Docker, signal: AbortSignal): Promise<{ ref: string; built: boolean }> {
    if (await imageExists(docker, this.tag)) return { ref: this.tag, built: false };
    const root = await mkdtemp(join(this.cacheDir, `rootfs-${this.suite}-`));
    try {
      const args = ["--variant=minbase", `--include=${PACKAGES.join(",")}`, this.suite, root, MIRROR];
      const r = await execa("debootstrap", args, { reject: false, cancelSignal: signal, all: true });
      if (r.failed) {
        const hint = r.code === "ENOENT" ? "install Debian's debootstrap (apt-get install debootstrap)" : lastLine(r.all);
        throw new PrerequisiteError(
          `cannot build the ${this.suite} base image with debootstrap: ${hint}; or name a registry image as base`,
        );
      }
      // Trim what an image never needs; it keeps the layer (and each import) smaller.
      await execa("rm", ["-rf", join(root, "var/cache/apt/archives"), join(root, "usr/share/doc"), join(root, "usr/share/man")]);
      const tar = execa("tar", ["-C", root, "--numeric-owner", "-c", "."], { cancelSignal: signal, buffer: false, encoding: "buffer" });
      // The tag goes inside `repo` (name:tag), which Docker's API allows: Podman's ignores a
      // separate `tag` and would name the image :latest, so the next run would import it again.
      const stream = await docker.importImage(
        tar.stdout as unknown as NodeJS.ReadableStream,
        { repo: this.tag, changes: ["ENV LANG=C.UTF-8", 'CMD ["python3"]'] } as object,
      );
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
      );
      await tar;
      return { ref: this.tag, built: true };
    } finally {
      await rm(root, { recursive: true, force: true, maxRetries: 3 });
    }
  }
}
