import type Docker from "dockerode";
import { MANAGED_LABEL, OWNER_PID_LABEL, RUN_LABEL } from "./labels.js";

/**
 * Remove containers left by harness processes that no longer exist (a crash, a kill -9).
 * Containers of live harness processes are left alone: tests and parallel runs share the engine.
 */
export const reapOrphans = (docker: Docker) =>
  removeLabelled(docker, `${MANAGED_LABEL}=true`, (labels) => !isAlive(Number(labels[OWNER_PID_LABEL])));

/** Remove every container of one run (used on the way out, even after Ctrl-C). */
export const removeRun = (docker: Docker, runId: string) => removeLabelled(docker, `${RUN_LABEL}=${runId}`, () => true);

async function removeLabelled(docker: Docker, label: string, shouldRemove: (labels: Record<string, string>) => boolean): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  const doomed = containers.filter((c) => shouldRemove(c.Labels));
  // Already gone is fine: removal races with a container's own exit.
  await Promise.all(
    doomed.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  return doomed.length;
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
