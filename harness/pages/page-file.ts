import { isUtf8 } from "node:buffer";
import { claimVerdict } from "../claims/verdict.js";
import { readAtMost } from "../config/yaml-guards.js";
import { ConfigError } from "../core/errors.js";
import type { ResultsFile } from "../store/results-file.js";
import { findTable, TABLE_HEADING } from "./compat-table.js";
import { splitLines } from "./lines.js";
import { pageFacts } from "./page-facts.js";
import { type FieldChange, updatePage } from "./update-page.js";

/** A fix page is a few kilobytes; a bigger file is not one (and is not read whole). */
const MAX_PAGE_BYTES = 1024 * 1024;

/**
 * A fix page's text, refused in one line naming the file when it is missing, too big, not UTF-8
 * or has no table the harness can keep: checked before a night runs anything.
 */
export async function readPage(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readAtMost(file, MAX_PAGE_BYTES + 1);
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err}); a scenario's page: names a fix page`, {
      cause: err,
    });
  }
  if (bytes.length > MAX_PAGE_BYTES) throw new ConfigError(`${file}: over ${MAX_PAGE_BYTES / 1024 / 1024} MiB; not a fix page`);
  if (!isUtf8(bytes) || bytes.includes(0)) throw new ConfigError(`${file}: not UTF-8 text; save the page as UTF-8`);
  const text = bytes.toString("utf8");
  const span = findTable(splitLines(text));
  if (typeof span === "string")
    throw new ConfigError(`${file}: ${span}; the page needs a "${TABLE_HEADING}" heading followed by a "| Version | Status |" table`);
  return text;
}

export type PageUpdate = { text: string; changes: FieldChange[] } | { skipped: string };

/**
 * The page brought up to date with the results, or why it was left alone: results with no cell
 * under the claim's trigger would publish an empty table, as if nothing had been tested.
 */
export function pageUpdate(text: string, results: ResultsFile, file: string): PageUpdate {
  const facts = pageFacts(results, claimVerdict(results));
  if (facts.rows.length === 0) return { skipped: `no cells match the claim's trigger (${JSON.stringify(results.claim?.when ?? {})}) yet` };
  return updatePage(text, facts, file);
}
