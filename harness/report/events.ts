import type { Cell, EnvSpec } from "../cell/cell.js";
import type { CellRecord } from "../cell/record.js";
import type { RunInfo } from "../store/results-file.js";

/** What a run tells its reporters; reporters never reach into the runner. */
export type RunEvent =
  /** Something the user should read before the run goes on: it waits for another run's lock, a damaged results.json was repaired. */
  | { type: "note"; text: string }
  | { type: "run-started"; total: number; envs: number; runId: string; runtime: string; note?: string }
  /** An env's preparation began (base image, lock, downloads, install): what a long wait is spent on. */
  | { type: "env-started"; key: string; spec: EnvSpec }
  | { type: "env-ready"; key: string; ok: boolean; imageBuilt: boolean; reason?: string }
  | { type: "cell-started"; cell: Cell }
  | { type: "cell-finished"; record: CellRecord; done: number; total: number; reused?: boolean }
  | {
      type: "run-finished";
      info: RunInfo;
      counts: Record<string, number>;
      reportDir: string;
      changes: string[];
      /** Ids of recorded cells removed from results.json because the matrix no longer holds them. */
      dropped: string[];
    };

export type RunListener = (event: RunEvent) => void;
