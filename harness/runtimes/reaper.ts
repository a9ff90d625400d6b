import type Docker from "dockerode";
import { MANAGED_LABEL, OWNER_PID_LABEL, RUN_LABEL } from "./labels.js";

/**
 * Remove containers left by harness processes that no longer exist (a crash, a kill -9).
 * Containers of live harness processes are left alone: tests and parallel runs share the engine.
 */
export async function reapOrphans(docker: Docker): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] } });
  const orphans = containers.filter((c) => !isAlive(Number(c.Labels[OWNER_PID_LABEL])));
  await Promise.all(
    orphans.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  return orphans.length;
}

/** Remove every container of one run (used on the way out, even after Ctrl-C). */
export async function removeRun(docker: Docker, runId: string): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  return containers.length;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
