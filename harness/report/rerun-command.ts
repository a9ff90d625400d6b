import { cellId, packageEntries } from "../cell/cell.js";
import type { CellRecord } from "../cell/record.js";
import { runtimeRank } from "../runtimes/registry.js";
import type { ResultsFile } from "../store/results-file.js";

/**
 * The command that reruns one cell alone, on the runtime that produced it. The versions are set
 * explicitly, so it works for a version the file does not list (a bisect's or `--set`'s), and the
 * scenario file is named when it is not the default. The cell id carries the rest, Gunicorn
 * arguments and environment included.
 */
export function rerunCommand(c: CellRecord, config?: string): string {
  const sets = packageEntries(c.packages).map(([name, version]) => `--set ${name}=${version}`);
  return [
    "npx repro-matrix run",
    ...(config && config !== "matrix.yaml" ? [`--config ${config}`] : []),
    ...sets,
    `--only '${cellId(c)}'`,
    "--force",
    // --force alone would recall a recorded build failure; a rerun of one is meant to build.
    ...(c.outcome === "install-failed" ? ["--rebuild"] : []),
    ...(runtimeRank(c.runtime) > 0 ? [`--runtime ${c.runtime}`] : []),
  ].join(" ");
}

/** The scenario file the newest run read, if it said. */
export const configOf = (r: Pick<ResultsFile, "runs">) => r.runs.findLast((run) => run.config)?.config;
