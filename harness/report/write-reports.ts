import { join } from "node:path";
import { writeAtomic } from "../store/json-file.js";
import type { ResultsFile } from "../store/results-file.js";
import { renderHtml } from "./html.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";

/** The files of reports/<scenario>/, each rendered from results.json alone. */
export const REPORT_FILES = ["results.json", "README.md", "index.html", "junit.xml"] as const;

/**
 * Writes every report of one scenario: results.json first (the record), then what is derived
 * from it. Each file is replaced atomically, so a reader never sees half a report.
 */
export async function writeReports(reportDir: string, results: ResultsFile): Promise<void> {
  await writeAtomic(join(reportDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  await writeAtomic(join(reportDir, "README.md"), renderMarkdown(results));
  await writeAtomic(join(reportDir, "index.html"), renderHtml(results));
  await writeAtomic(join(reportDir, "junit.xml"), renderJunit(results));
}
