/** Every container the harness starts carries these, so cleanup can find them by label. */
export const MANAGED_LABEL = "repro-matrix.managed";
export const OWNER_PID_LABEL = "repro-matrix.owner-pid";
export const RUN_LABEL = "repro-matrix.run";

export const ownerLabels = (runId: string): Record<string, string> => ({
  [MANAGED_LABEL]: "true",
  [OWNER_PID_LABEL]: String(process.pid),
  [RUN_LABEL]: runId,
});
