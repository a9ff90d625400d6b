import { join } from "node:path";
import { type Judgement, judge } from "../claims/judge.js";
import { writeAtomic } from "../core/json-file.js";
import { canonicalResults, type ResultsFile, resultsJsonChunks } from "../store/results-file.js";
import { htmlChunks } from "./html.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";

/** The files of reports/<scenario>/, each rendered from results.json alone. */
export const REPORT_FILES = ["results.json", "README.md", "index.html", "junit.xml"] as const;

/**
 * Writes every report of one scenario: results.json first (the record), then what is derived
 * from it. Each file is replaced atomically, so a reader never sees half a report. Returns the
 * results as written (with the claim's summary).
 *
 * Everything is rendered from the results as they read back from results.json (canonical key
 * order), whoever calls: `report` right after `run`, or a merge, writes the same bytes for the
 * same data.
 */
export async function writeReports(reportDir: string, recorded: ResultsFile): Promise<ResultsFile> {
  const canonical = canonicalResults(recorded);
  const judged = judge(canonical);
  const results = withClaimSummary(canonical, judged);
  await writeAtomic(join(reportDir, "results.json"), resultsJsonChunks(results));
  await writeAtomic(join(reportDir, "README.md"), renderMarkdown(results, judged));
  await writeAtomic(join(reportDir, "index.html"), htmlChunks(results, judged));
  await writeAtomic(join(reportDir, "junit.xml"), renderJunit(results));
  return results;
}

/** The claim's verdict and verification dates, stored beside it for readers of results.json alone. */
function withClaimSummary(r: ResultsFile, { verdict, verified }: Judgement): ResultsFile {
  if (!r.claim || !verdict) return r;
  const { status, sentence, lastAffected, firstWithout } = verdict;
  return {
    ...r,
    claim: {
      ...r.claim,
      verdict: { status, sentence, ...(lastAffected ? { lastAffected } : {}), ...(firstWithout ? { firstWithout } : {}) },
      ...(verified ? { verified } : {}),
    },
  };
}
