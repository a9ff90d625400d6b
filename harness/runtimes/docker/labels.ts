import { hostname } from "node:os";

/** Every container the harness starts carries these, so cleanup can find them by label. */
export const MANAGED_LABEL = "repro-matrix.managed";
/**
 * What the harness's images carry instead: a container inherits its image's labels, so images
 * labelled managed made every build step and `docker run` on them look like a harness container
 * to reapers and leftover counts.
 */
export const IMAGE_LABEL = "repro-matrix.image";
export const OWNER_PID_LABEL = "repro-matrix.owner-pid";
export const RUN_LABEL = "repro-matrix.run";
/** The machine the owner pid lives on: on an engine shared by several machines a pid says nothing alone. */
export const OWNER_HOST_LABEL = "repro-matrix.owner-host";

export const ownerLabels = (runId: string): Record<string, string> => ({
  [MANAGED_LABEL]: "true",
  [OWNER_PID_LABEL]: String(process.pid),
  [OWNER_HOST_LABEL]: hostname(),
  [RUN_LABEL]: runId,
});
