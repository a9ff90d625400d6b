import { describe, expect, it } from "vitest";
import type { CellRecord, CheckResult } from "../../harness/cell/record.js";
import { compatStatus } from "../../harness/claims/compat.js";
import { symptomOf } from "../../harness/claims/symptom.js";
import { claimVerdict } from "../../harness/claims/verdict.js";
import { pageFacts } from "../../harness/pages/page-facts.js";
import { renderHtml } from "../../harness/report/html.js";
import { renderMarkdown } from "../../harness/report/markdown.js";
import type { Claim, ResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

// As uvicorn-1269-hup states them: no signature, two status checks on the step that sends the HUP.
const FIVE_XX = "status 5xx ≥ 1 in step 2";
const ERROR = "status error ≥ 1 in step 2";
const CLAIM: Claim = { text: "first fixed release: 0.16.0", package: "uvicorn", firstFixed: "0.16.0", when: {} };

const checks = (fired: boolean): CheckResult[] => [
  { check: FIVE_XX, result: fired ? "fired" : "quiet", seen: fired ? "2×5xx" : "0×5xx" },
  { check: ERROR, result: "quiet", seen: "0×error" },
];
/** A cell of a scenario with `checks:`: reproduced when a check fired, and every cell that ran records them. */
const checked = (uvicorn: string, outcome: CellRecord["outcome"], over: Partial<CellRecord> = {}) =>
  record({
    uvicorn,
    outcome,
    reason: outcome === "reproduced" ? `check fired: ${FIVE_XX} (2×5xx)` : "48/48 × 200 from 8/8 workers",
    evidence: { ...record().evidence, checks: checks(outcome === "reproduced") },
    ...over,
  });
const results = (cells: CellRecord[], claim: Claim | undefined = CLAIM, over: Partial<ResultsFile> = {}): ResultsFile => ({
  schemaVersion: 5,
  scenario: "demo",
  ...(claim ? { claim } : {}),
  harnessVersion: "0.1.0",
  lastVerified: "2026-12-05",
  cells,
  runs: [],
  ...over,
});
const HUP = [checked("0.15.0", "reproduced"), checked("0.16.0", "clean")];

describe("a claim without a signature, decided by the scenario's checks", () => {
  it("names the checks in the verdict sentence, never a signature", () => {
    const v = claimVerdict(results(HUP));
    expect(v?.status).toBe("confirmed");
    expect(v?.sentence).toBe(
      `The claim "first fixed release: 0.16.0" is confirmed: the symptom (${FIVE_XX}, or ${ERROR}) appears up to 0.15.0, the release before 0.16.0, and never from 0.16.0 on.`,
    );
    expect(v?.sentence).not.toMatch(/signature/i);
  });

  it("names them where the symptom never appeared too", () => {
    const v = claimVerdict(results([checked("0.15.0", "clean"), checked("0.16.0", "clean")]));
    expect(v?.sentence).toMatch(
      /cannot be confirmed: the symptom \(status 5xx ≥ 1 in step 2, or status error ≥ 1 in step 2\) never appeared in 2 cells/,
    );
    expect(v?.sentence).not.toMatch(/signature/i);
  });

  it("says 'the symptom' once it was named, in the era Python's sentence", () => {
    const cells = [
      checked("0.15.0", "reproduced", { python: "3.9" }),
      checked("0.16.0", "clean", { python: "3.9" }),
      checked("0.15.0", "reproduced", { python: "3.11" }),
      checked("0.16.0", "clean", { python: "3.11" }),
    ];
    const v = claimVerdict(results(cells, CLAIM, { eraPython: { "0.15.0": "3.9", "0.16.0": "3.11" } }));
    expect(v?.sentence).toContain(
      "On each release's era Python (3.9 for 0.15.0, 3.11 for 0.16.0), the symptom last appears in 0.15.0 and is absent from 0.16.0;",
    );
    expect(v?.sentence).not.toMatch(/signature/i);
  });

  it("gives the reports' legends, headings and short verdict in terms of checks", () => {
    const r = results([...HUP, checked("0.17.0", "other-failure", { reason: "only 7/8 workers served" })]);
    const md = renderMarkdown(r);
    expect(md).toContain(
      "Affected = a reproduction check fired in at least one cell; Fixed = every cell booted, every probe was answered by every worker and no check fired; Affected differently = other failures, no check fired;",
    );
    expect(md).toContain("last affected 0.15.0; first without the symptom 0.16.0");
    expect(md).toContain("| 0.17.0 | Affected differently (1/1 cells failed otherwise, no check fired) |");
    expect(md).toContain("and failed without the symptom, grouped by their first error");
    expect(md).not.toMatch(/signature/i);
    const html = renderHtml(r);
    expect(html).toContain(
      "Affected: a reproduction check fired in a cell. Fixed: every cell booted, every worker answered the probes, no check fired.",
    );
    expect(html).toContain("Confirmed: last affected 0.15.0, first without the symptom 0.16.0 (claimed fixed in 0.16.0).");
    expect(html).toContain("first without the symptom <b>0.16.0</b>");
    expect(html).toContain("<summary>Failures without the symptom: 1 distinct fingerprint");
    // The page's own script reads a signature from its data; the text a reader sees names none.
    expect(html.replace(/<script[\s\S]*?<\/script>/g, "")).not.toMatch(/signature/i);
  });

  it("tells a fix page that no check fired, not that a signature was not seen", () => {
    const r = results([checked("0.15.0", "clean"), checked("0.16.0", "clean")]);
    expect(pageFacts(r, claimVerdict(r)).reproducedLocally).toBe("No (no check fired in 2 cells, 2026-12-05)");
  });
});

describe("symptomOf", () => {
  it("quotes the claim's signature, as every report did before checks existed, even beside checks", () => {
    const s = symptomOf({ signature: "Event loop is closed" }, HUP);
    expect(s).toEqual({ kind: "signature", named: '"Event loop is closed"', again: '"Event loop is closed"', label: "the signature" });
    expect(claimVerdict(results(HUP, { ...CLAIM, signature: "Event loop is closed" }))?.sentence).toBe(
      'The claim "first fixed release: 0.16.0" is confirmed: "Event loop is closed" appears up to 0.15.0, the release before 0.16.0, and never from 0.16.0 on.',
    );
  });
  it("without checks recorded, says 'the signature' only when a cell ran and so was judged by the scenario's signatures", () => {
    expect(symptomOf(undefined, [record({ outcome: "reproduced" })]).label).toBe("the signature");
    const none = symptomOf(undefined, [record({ outcome: "install-failed" })]);
    expect(none).toEqual({ kind: "unknown", named: "the failure", again: "the failure", label: "the failure" });
    expect(renderMarkdown(results([record({ uvicorn: "0.15.0", outcome: "install-failed" })]))).toContain(
      "Affected = at least one cell reproduced; Fixed = every cell booted, every probe was answered by every worker and none reproduced;",
    );
  });
  it("keeps 'no signature' for cells judged by signatures alone", () => {
    expect(compatStatus([record({ outcome: "other-failure" })]).detail).toBe("1/1 cells failed otherwise, no signature");
  });
});
