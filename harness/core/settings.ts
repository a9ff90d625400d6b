/** The harness's settings and their defaults, each read in one place. */
import { availableParallelism, totalmem } from "node:os";

/** Each container may use up to this much; local servers are planned with the same budget (not enforced). */
export const MEMORY_PER_CELL = 1024 ** 3;

/**
 * How many cells at once by default: one per CPU (each cell's gunicorn and its probes keep a
 * core busy while booting), and no more than three quarters of the memory allows at the
 * per-cell limit, so a memory-hungry cell cannot push the machine into swap.
 */
export function defaultConcurrency(cpus = availableParallelism(), memory = totalmem()): number {
  return Math.max(1, Math.min(cpus, Math.floor((memory * 0.75) / MEMORY_PER_CELL)));
}

/**
 * Where the Docker engine is, as DOCKER_HOST names it, else the default socket. Read where it is
 * used (errors, doctor): a test or a user may change DOCKER_HOST between runs of one process.
 */
export const engineAddress = (env = process.env) => env.DOCKER_HOST ?? "/var/run/docker.sock";

/** The cache folder (env images' inputs, venvs, uv, locks): REPRO_MATRIX_CACHE, else .cache. */
export const defaultCacheDir = (env = process.env) => env.REPRO_MATRIX_CACHE ?? ".cache";

/** Where Debian's packages come from for debootstrap and doctor's mirror check. */
export const debianMirror = (env = process.env) => env.REPRO_MATRIX_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
