import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { failureFingerprint, normalizeError } from "../../harness/claims/fingerprint.js";
import { claimVerdict } from "../../harness/claims/verdict.js";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

type Outcome = CellRecord["outcome"];
const results = (cells: CellRecord[]): ResultsFile => ({
  schemaVersion: 2,
  scenario: "demo",
  claim: {
    text: "first fixed release: 0.11.4",
    package: "uvicorn",
    signature: "Event loop is closed",
    firstFixed: "0.11.4",
    when: { preload: true },
  },
  harnessVersion: "0.1.0",
  lastVerified: "2026-11-25",
  cells,
  runs: [],
});
const otherLoop = (uvicorn: string, app = "plain") =>
  record({
    uvicorn,
    app,
    outcome: "other-failure",
    reason: "48/48 probes failed",
    evidence: {
      ...record().evidence,
      firstOtherTraceback: [
        "Traceback (most recent call last):",
        `RuntimeError: Task <Task pending name='Task-${uvicorn.length}' coro=<X.run() running at /opt/venv/x.py:${uvicorn.length * 7}>> got Future <Future pending> attached to a different loop`,
      ],
    },
  });
const verdictOf = (outcomes: Record<string, Outcome | CellRecord>) =>
  claimVerdict(results(Object.entries(outcomes).map(([uvicorn, o]) => (typeof o === "string" ? record({ uvicorn, outcome: o }) : o))));

describe("claimVerdict", () => {
  it("confirms when the release before the claimed fix reproduces and every version from it on is clean", () => {
    const v = verdictOf({ "0.2.5": "reproduced", "0.11.3": "reproduced", "0.11.4": "clean", "0.20.0": "clean" });
    expect(v?.status).toBe("confirmed");
    expect(v?.sentence).toBe(
      'The claim "first fixed release: 0.11.4" is confirmed: "Event loop is closed" appears up to 0.11.3, the release before 0.11.4, and never from 0.11.4 on.',
    );
    expect(v?.configs[0]).toMatchObject({ lastAffected: "0.11.3", firstWithout: "0.11.4", firstClean: "0.11.4" });
  });
  it("refutes when a version at or after the claimed fix still reproduces", () => {
    const v = verdictOf({ "0.11.3": "reproduced", "0.11.4": "reproduced", "0.11.5": "clean" });
    expect(v?.status).toBe("refuted");
    expect(v?.sentence).toMatch(/still appears at or after 0\.11\.4, last in 0\.11\.4/);
  });
  it("refutes with the measured boundary when the signature is gone before the claimed fix, naming the gap and what fails instead", () => {
    const v = verdictOf({
      "0.3.32": "reproduced",
      "0.5.2": "install-failed",
      "0.11.3": otherLoop("0.11.3"),
      "0.11.4": otherLoop("0.11.4"),
    });
    expect(v?.status).toBe("refuted");
    expect(v?.sentence).toBe(
      'The claim "first fixed release: 0.11.4" is refuted: "Event loop is closed" last appears in 0.3.32 and is already absent in 0.11.3, before 0.11.4 (0.5.2 in between could not be tested); upgrading to 0.11.4 or later does avoid it; 1 configuration (Python 3.9 · UvicornWorker · --preload · plain) fails differently from 0.11.3 to 0.11.4: RuntimeError: Task <…> got Future <…> attached to a different loop.',
    );
    expect(v?.configs[0]?.affectedDifferently).toEqual([
      { from: "0.11.3", to: "0.11.4", fingerprint: "RuntimeError: Task <…> got Future <…> attached to a different loop" },
    ]);
    expect(v?.configs[0]?.firstClean).toBeUndefined();
  });
  it("cannot confirm a fix for a failure that never appeared", () => {
    const v = verdictOf({ "0.2.0": "install-failed", "0.11.3": "clean", "0.11.4": "clean" });
    expect(v?.status).toBe("not-reproduced");
    expect(v?.sentence).toMatch(/never appeared in 3 cells matching the trigger \(uvicorn 0\.11\.3 to 0\.11\.4\)/);
  });
  it("is not settled when the versions next to the boundary could not be tested", () => {
    const v = verdictOf({ "0.11.2": "reproduced", "0.11.3": "install-failed", "0.11.4": "clean" });
    expect(v?.status).toBe("not-settled");
    expect(v?.sentence).toMatch(
      /consistent but not settled: .* last appears in 0\.11\.2 and first is absent in 0\.11\.4 \(0\.11\.3 in between could not be tested\)/,
    );
  });
  it("only counts cells that match the trigger, and gives each configuration its own boundary", () => {
    const v = claimVerdict(
      results([
        record({ uvicorn: "0.11.3", outcome: "reproduced", preload: false }),
        record({ uvicorn: "0.11.3", outcome: "reproduced", app: "lifespan" }),
        record({ uvicorn: "0.11.4", app: "lifespan" }),
        record({ uvicorn: "0.11.3" }),
        record({ uvicorn: "0.11.4" }),
      ]),
    );
    expect(v?.configs.map((c) => [c.label, c.lastAffected ?? "-", c.firstClean ?? "-"])).toEqual([
      ["Python 3.9 · UvicornWorker · --preload · lifespan", "0.11.3", "0.11.4"],
      ["Python 3.9 · UvicornWorker · --preload · plain", "-", "0.11.3"],
    ]);
  });
});

describe("failure fingerprints", () => {
  it("normalizes reprs, addresses, paths, ids and line numbers, but keeps versions", () => {
    expect(normalizeError("KeyError: '8 is not registered'")).toBe("KeyError: 'N is not registered'");
    expect(normalizeError("OSError: [Errno 98] Address in use: ('0.0.0.0', 8000) at 0x7f3a2c")).toBe(
      "OSError: [Errno N] Address in use: ('0.0.0.0', N) at 0x…",
    );
    expect(normalizeError('File "/work/x/.cache/local/app-nvDPjT/app.py", line 24')).toBe('File "<path>", line N');
    expect(normalizeError("ImportError: needs Python 3.10 or uvloop 0.21.0")).toBe("ImportError: needs Python 3.10 or uvloop 0.21.0");
    expect(normalizeError("only 7/8 workers served")).toBe("only N/N workers served");
    expect(normalizeError("at /opt/venv/lib/python3.9/site-packages/x.py:12")).toBe("at <path>:N");
  });
  it("gives two runs of the same failure the same fingerprint, and clean or reproduced cells none", () => {
    expect(failureFingerprint(otherLoop("0.11.3"))).toBe(failureFingerprint(otherLoop("0.20.0")));
    expect(failureFingerprint(record())).toBeUndefined();
    expect(failureFingerprint(record({ outcome: "reproduced" }))).toBeUndefined();
    expect(failureFingerprint(record({ outcome: "boot-failure", reason: "exited with code 3 before answering HTTP" }))).toBe(
      "exited with code N before answering HTTP",
    );
  });

  it("follows the claim's package: a claim about gunicorn spans gunicorn versions, one configuration per uvicorn", () => {
    const r = results([
      record({ gunicorn: "20.0.0", outcome: "reproduced" }),
      record({ gunicorn: "21.2.0" }),
      record({ gunicorn: "22.0.0" }),
    ]);
    const v = claimVerdict({
      ...r,
      claim: { ...(r.claim as NonNullable<ResultsFile["claim"]>), package: "gunicorn", firstFixed: "21.2.0" },
    });
    expect(v?.status).toBe("confirmed");
    expect(v?.configs).toHaveLength(1);
    expect(v?.configs[0]).toMatchObject({ lastAffected: "20.0.0", firstWithout: "21.2.0", firstClean: "21.2.0" });
  });
});
