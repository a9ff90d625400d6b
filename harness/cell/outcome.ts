/** The vocabulary every part of the harness shares (see DESIGN.md). */
export const OUTCOMES = ["reproduced", "clean", "other-failure", "boot-failure", "install-failed", "timeout", "flaky"] as const;
export type Outcome = (typeof OUTCOMES)[number];
