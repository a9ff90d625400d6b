import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { tableChanges } from "../../harness/claims/changes.js";
import { claimVerdict } from "../../harness/claims/verdict.js";
import { pageFacts } from "../../harness/pages/page-facts.js";
import { renderHtml } from "../../harness/report/html.js";
import { renderJunit } from "../../harness/report/junit.js";
import { renderMarkdown } from "../../harness/report/markdown.js";
import { rerunCommand } from "../../harness/report/rerun-command.js";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

/**
 * The case: a claim about a private package (rmprivate), uvicorn and gunicorn pinned, the
 * trigger over both preload settings, and 2.0.0 failing otherwise in one configuration.
 */
const at = (rmprivate: string, over: Partial<CellRecord> = {}) =>
  record({ packages: { uvicorn: "0.39.0", gunicorn: "23.0.0", rmprivate }, ...over });
const broken = (rmprivate: string) =>
  at(rmprivate, {
    preload: false,
    outcome: "other-failure",
    reason: "16/16 probes failed",
    evidence: { ...record().evidence, firstOtherTraceback: ["Traceback (most recent call last):", "KeyError: 'rmprivate'"] },
  });
const results = (cells: CellRecord[]): ResultsFile => ({
  schemaVersion: 5,
  scenario: "private",
  claim: { text: "first fixed release: 1.1.0", package: "rmprivate", firstFixed: "1.1.0", signature: "Event loop is closed", when: {} },
  harnessVersion: "0.1.0",
  lastVerified: "2026-11-25",
  cells,
  runs: [],
});
const CELLS = [
  at("1.0.0", { outcome: "reproduced", reason: "signature in probe logs (1 line)" }),
  at("1.0.0", { preload: false }),
  at("1.1.0"),
  at("1.1.0", { preload: false }),
  at("2.0.0"),
  broken("2.0.0"),
];

describe("a claim about another package than uvicorn", () => {
  it("heads, rows and fingerprints the table by that package; a configuration's label never names its versions", () => {
    const md = renderMarkdown(results(CELLS));
    expect(md).toContain("Status per rmprivate version over all cells");
    expect(md).toMatch(/^\| 1\.0\.0 \| Affected \(1\/2 cells reproduced\) \|$/m);
    expect(md).toMatch(/^\| 1\.1\.0 \| Fixed \(2\/2 cells clean\) \|$/m);
    expect(md).toMatch(/^\| 2\.0\.0 \| Affected differently \(1\/2 cells failed otherwise, no signature\) \|$/m);
    expect(md).toContain("| Fingerprint | Outcome | Cells | rmprivate versions |");
    expect(md).toContain("| `KeyError: 'rmprivate'` | other-failure | 1 | 2.0.0 |");
    expect(md).toContain("### Python 3.9 · uvicorn 0.39.0 · gunicorn 23.0.0 · 8 workers");
    expect(md).toMatch(/^\| rmprivate \| UvicornWorker<br>no preload<br>plain \|/m);
    const claimSection = md.slice(md.indexOf("## Claim, per configuration"), md.indexOf("## Failure fingerprints"));
    expect(claimSection).toContain(
      "- **Python 3.9 · UvicornWorker · --preload · plain**: last affected 1.0.0; first without the signature 1.1.0",
    );
    expect(claimSection).toContain(
      "- **Python 3.9 · UvicornWorker · no preload · plain**: never affected; never clean; affected differently 2.0.0",
    );
    const labels = [...claimSection.matchAll(/^- \*\*([^*]+)\*\*/gm)].map((m) => m[1]);
    expect(labels).toHaveLength(2);
    for (const label of labels) expect(label).not.toMatch(/rmprivate|\d\.\d\.\d/);
    const v = claimVerdict(results(CELLS));
    expect(v?.configs.map((c) => c.label).sort()).toEqual([
      "Python 3.9 · UvicornWorker · --preload · plain",
      "Python 3.9 · UvicornWorker · no preload · plain",
    ]);
  });

  it("names each other package once in a label, with its one version, when it varies between configurations", () => {
    const cells = [...CELLS, ...CELLS.map((c) => ({ ...c, packages: { ...c.packages, gunicorn: "22.0.0" } }))];
    const labels = (claimVerdict(results(cells))?.configs ?? []).map((c) => c.label).sort();
    expect(labels).toContain("Python 3.9 · gunicorn 22.0.0 · UvicornWorker · --preload · plain");
    expect(labels.every((l) => (l.match(/gunicorn/g) ?? []).length === 1 && !l.includes("rmprivate"))).toBe(true);
  });

  it("rows the HTML heatmap by that package and filters on the others, and reruns a cell with every version set", () => {
    const html = renderHtml(results([...CELLS, at("1.0.0", { python: "3.11" })]));
    expect(html).toContain('<th rowspan="2" class="corner">rmprivate</th>');
    expect(html).toContain("Rows: rmprivate versions.");
    expect(html).toContain('<select id="filter-python" data-axis="python">');
    expect(html).not.toContain('data-axis="package:rmprivate"');
    expect(rerunCommand(at("1.0.0"))).toBe(
      "npx repro-matrix run --set uvicorn=0.39.0 --set gunicorn=23.0.0 --set rmprivate=1.0.0 --only 'py3.9~uvicorn0.39.0~gunicorn23.0.0~rmprivate1.0.0~uvicorn.workers.UvicornWorker~preload~plain~w8' --force",
    );
    expect(renderJunit(results([at("1.0.0")]))).toContain('<property name="rmprivate" value="1.0.0"/>');
  });

  it("reports changes and fix-page facts per version of that package", () => {
    const before = results(CELLS.filter((c) => c.packages.rmprivate !== "2.0.0"));
    expect(tableChanges(before, results(CELLS))).toContain("new: Python 3.9 · rmprivate 2.0.0: Affected differently");
    const facts = pageFacts(results(CELLS), claimVerdict(results(CELLS)));
    expect(facts.rows.map((r) => r.version)).toEqual(["1.0.0", "1.1.0", "2.0.0"]);
    expect(facts.reproducedLocally).toBe(
      "Yes (2026-11-25, uvicorn 0.39.0, gunicorn 23.0.0, rmprivate 1.0.0, Python 3.9.2, UvicornWorker --preload, docker)",
    );
  });

  it("without a claim, rows the tables by the package whose versions vary", () => {
    const { claim: _, ...unclaimed } = results(CELLS);
    expect(renderMarkdown(unclaimed)).toContain("Status per rmprivate version over all cells");
  });
});
