import { readdir, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { SOCKET_DIR_PREFIX } from "./container-place.js";
import { BASE_REPO } from "./debian-base-image.js";
import { ENV_REPO, SHARED_REPO, WHEEL_REPO } from "./env-image.js";
import { MANAGED_LABEL, OWNER_HOST_LABEL, OWNER_PID_LABEL, RUN_LABEL } from "./labels.js";

/**
 * Remove containers left by harness processes that no longer exist (a crash, a kill -9).
 * Containers of live harness processes are left alone: tests and parallel runs share the engine.
 */
export const reapOrphans = (docker: Docker) => removeLabelled(docker, `${MANAGED_LABEL}=true`, (labels) => isOrphan(labels));

/**
 * Whether a container's owner is a harness process of this machine that is gone. A container of
 * another machine's harness (a remote engine several CI jobs share) is never this machine's to
 * judge: its pid means nothing here. One without the host label predates it and was started here.
 * One without an owner pid was started by no harness process: a `docker build` step of a layer
 * over a harness image, which inherits the image's managed label. Reaping it killed another
 * run's image builds mid-RUN (exit 137) whenever a run started beside them.
 */
export function isOrphan(labels: Record<string, string>, host = hostname()): boolean {
  const owner = labels[OWNER_PID_LABEL];
  return owner !== undefined && (labels[OWNER_HOST_LABEL] ?? host) === host && !isAlive(Number(owner));
}

/**
 * Remove the socket folders (<tmp>/rm-sock-<pid>-*) of harness processes that no longer exist:
 * a run killed with -9 could not remove its own.
 */
export async function reapSocketDirs(dir = tmpdir()): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const dead = names.filter((n) => {
    const pid = new RegExp(`^${SOCKET_DIR_PREFIX}(\\d+)-`).exec(n)?.[1];
    return pid !== undefined && !isAlive(Number(pid));
  });
  await Promise.all(dead.map((n) => rm(join(dir, n), { recursive: true, force: true })));
  return dead.length;
}

/** Remove every container of one run (used on the way out, even after Ctrl-C). */
export const removeRun = (docker: Docker, runId: string, signal?: AbortSignal) =>
  removeLabelled(docker, `${RUN_LABEL}=${runId}`, () => true, signal);

/** Remove every container any harness process started, live runs included (`repro-matrix clean`). */
export const removeAllManaged = (docker: Docker) => removeLabelled(docker, `${MANAGED_LABEL}=true`, () => true);

/**
 * Remove the cached images of these repositories (by default base, shared, wheel and env: the next run
 * builds them again), each with every image built on it: env images on a shared layer, and the
 * untagged intermediate images a failed build leaves behind, which would otherwise pin their parent.
 */
export async function removeCachedImages(
  docker: Docker,
  repos: string[] = [ENV_REPO, WHEEL_REPO, SHARED_REPO, BASE_REPO],
): Promise<number> {
  const roots = await docker.listImages({ filters: { reference: repos } });
  const all = await docker.listImages({ all: true });
  const children = new Map<string, string[]>();
  for (const image of all) if (image.ParentId) children.set(image.ParentId, [...(children.get(image.ParentId) ?? []), image.Id]);
  const removed = new Set<string>();
  // Depth first, children before their parent; an image already gone (a shared child) is fine.
  const removeTree = async (id: string): Promise<void> => {
    if (removed.has(id)) return;
    removed.add(id);
    for (const child of children.get(id) ?? []) await removeTree(child);
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => undefined);
  };
  for (const image of roots) await removeTree(image.Id);
  return roots.length;
}

async function removeLabelled(
  docker: Docker,
  label: string,
  shouldRemove: (labels: Record<string, string>) => boolean,
  signal?: AbortSignal,
): Promise<number> {
  const call = signal ? { abortSignal: signal } : {};
  const containers = await docker.listContainers({ all: true, filters: { label: [label] }, ...call });
  const doomed = containers.filter((c) => shouldRemove(c.Labels));
  // Already gone is fine: removal races with a container's own exit.
  await Promise.all(
    doomed.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true, ...call })
        .catch(() => undefined),
    ),
  );
  return doomed.length;
}

/** Whether a harness process still runs: its containers are then not leftovers. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
