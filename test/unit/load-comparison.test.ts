import { describe, expect, it } from "vitest";
import { compareRuns, markdown, type RunFigures } from "../../bench/load-comparison.js";
import type { CellRecord } from "../../harness/cell/record.js";

const cell = (uvicorn: string, outcome: CellRecord["outcome"], reason: string, unreached?: number[]) =>
  ({
    python: "3.9",
    packages: { uvicorn, gunicorn: "23.0.0" },
    workerClass: "uvicorn.workers.UvicornWorker",
    preload: true,
    app: "plain",
    workers: 8,
    runtime: "docker",
    outcome,
    reason,
    evidence: { ...(unreached ? { unreachedWorkers: unreached } : {}) },
  }) as unknown as CellRecord;

const figures = (label: string, records: CellRecord[]): RunFigures => ({
  label,
  wallSeconds: 100,
  load: { mean: 2, max: 3, samples: 20 },
  records,
});

describe("the load comparison", () => {
  const idle = [cell("0.1.0", "reproduced", "sig"), cell("0.2.0", "clean", "ok"), cell("0.3.0", "clean", "ok")];
  const loaded = [
    cell("0.1.0", "reproduced", "sig"),
    cell("0.2.0", "other-failure", "only 7/8 workers served"),
    cell("0.3.0", "clean", "ok; note", [9]),
  ];

  it("counts the cells with the same outcome among those in both runs, matched by axes and runtime", () => {
    const c = compareRuns(idle, [...loaded, cell("9.9.9", "clean", "only under load")]);
    expect([c.same, c.both, c.differ.length, c.notes.length]).toEqual([2, 3, 1, 1]);
  });

  it("writes the figure, the runs' wall times and load, and every cell that differs", () => {
    const md = markdown(figures("as-is", idle), figures("stress-ng-cpu-4", loaded), 4);
    expect(md).toContain("**2/3 cells identical under load**");
    expect(md).toContain("| stress-ng-cpu-4 | 3 | 100 s | 2.0 / 3.0 |");
    expect(md).toContain(
      "| py3.9~uvicorn0.2.0~gunicorn23.0.0~uvicorn.workers.UvicornWorker~preload~plain~w8|docker | clean: ok | other-failure: only 7/8 workers served |",
    );
  });
});
