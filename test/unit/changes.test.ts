import { describe, expect, it } from "vitest";
import { tableChanges } from "../../harness/claims/changes.js";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

const results = (cells: ResultsFile["cells"]): ResultsFile => ({
  schemaVersion: 2,
  scenario: "demo",
  claim: { text: "first fixed release: 0.11.4", package: "uvicorn", firstFixed: "0.11.4", when: { preload: true } },
  harnessVersion: "0.1.0",
  lastVerified: "2026-11-25",
  cells,
  runs: [],
});

describe("what a run changed in the table", () => {
  it("names new, changed and gone rows by Python and version; counts alone are no change", () => {
    const before = results([
      record({ uvicorn: "0.11.3", outcome: "reproduced" }),
      record({ uvicorn: "0.11.4" }),
      record({ uvicorn: "0.11.5" }),
    ]);
    const after = results([
      record({ uvicorn: "0.11.3", outcome: "reproduced", reason: "other count" }),
      record({ uvicorn: "0.11.4", outcome: "reproduced" }),
      record({ uvicorn: "0.12.0" }),
    ]);
    expect(tableChanges(before, after)).toEqual([
      "changed: Python 3.9 · uvicorn 0.11.4: Fixed → Affected",
      "new: Python 3.9 · uvicorn 0.12.0: Fixed",
      "gone: Python 3.9 · uvicorn 0.11.5 (was Fixed)",
    ]);
    expect(tableChanges(after, after)).toEqual([]);
  });

  it("makes a new kind of failure stand out even when no status moved", () => {
    const failing = (line: string) =>
      record({
        uvicorn: "0.20.0",
        outcome: "other-failure",
        evidence: { ...record().evidence, firstOtherTraceback: ["Traceback:", line] },
      });
    const before = results([failing("KeyError: '8 is not registered'")]);
    expect(tableChanges(before, results([failing("KeyError: '9 is not registered'")]))).toEqual([]);
    expect(tableChanges(before, results([failing("OSError: [Errno 24] Too many open files")]))).toEqual([
      "new failure: OSError: [Errno N] Too many open files (1 cell)",
    ]);
  });
});
