import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../harness/report/markdown.js";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

/** A report whose description and claim text come from a hostile (or careless) scenario file. */
const results = (description: string, text: string): ResultsFile => ({
  schemaVersion: 4,
  scenario: "demo",
  description,
  claim: { text, package: "uvicorn", firstFixed: "0.11.4", signature: "Error.*in_loop", when: { preload: true } },
  harnessVersion: "0.1.0",
  lastVerified: "2026-11-25",
  cells: [record({ uvicorn: "0.11.3", outcome: "reproduced", reason: "x" }), record({ uvicorn: "0.11.4" })],
  runs: [],
});

describe("README.md quotes the scenario's free text", () => {
  it("keeps the description's markdown, and its HTML as text", () => {
    const md = renderMarkdown(
      results('Checks `--preload` with <script>alert("x")</script> and <img src=x onerror=alert(1)> & more, **really**.', "t"),
    );
    expect(md).toContain(
      'Checks `--preload` with &lt;script&gt;alert("x")&lt;/script&gt; and &lt;img src=x onerror=alert(1)&gt; &amp; more, **really**.',
    );
    expect(md).not.toMatch(/<script|<img/);
  });

  it("shows a code span as typed, even with < inside", () => {
    expect(renderMarkdown(results("Run `gunicorn -k <worker>` as the issue did.", "t"))).toContain(
      "Run `gunicorn -k <worker>` as the issue did.",
    );
  });

  it("shows claim.text (and the signature) in the verdict as typed: no HTML, no emphasis, no link", () => {
    const md = renderMarkdown(results("d", "fixed in *0.11.4* <script>alert(1)</script> [see](javascript:alert(1)) `x` | y"));
    const verdict = md.split("\n").find((l) => l.startsWith("**Verdict:")) ?? "";
    expect(verdict).toContain(
      'The claim "fixed in \\*0.11.4\\* &lt;script&gt;alert(1)&lt;/script&gt; \\[see\\](javascript:alert(1)) \\`x\\` \\| y" is confirmed',
    );
    expect(verdict).toContain('"Error.\\*in\\_loop"');
    expect(md).not.toContain("<script");
  });
});
