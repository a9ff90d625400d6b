import { ConfigError } from "../core/errors.js";
import { findTable, type PageRow, renderRow, summarizeRows, TABLE_HEADING, type TableSpan } from "./compat-table.js";
import { FIRST_FIXED, renderFirstFixed } from "./first-fixed.js";
import { joinLines, type Line, pageEol, splitLines } from "./lines.js";
import type { PageFacts } from "./page-facts.js";

export type PageField = typeof TABLE_HEADING | "First fixed release" | "Reproduced locally" | "Last verified";

/** One field the update rewrote (or `page check` would). */
export interface FieldChange {
  field: PageField;
  before: string;
  after: string;
  /** 1-based line of the value in the page as it was. */
  line: number;
}

const REPRODUCED = /^(\s*(?:[-*]\s+)?reproduced locally:[ \t]*)(.*?)([ \t]*)$/i;
const LAST_VERIFIED = /\b(last verified:[ \t]*)(\d{4}-\d{2}-\d{2})/gi;

/**
 * Rewrite only what the harness measures: the compatibility table's rows, every "First fixed
 * release" value, the "Reproduced locally" value and every "Last verified" date. Every other byte
 * (other text on those lines, line endings, a missing final newline) stays, so the page's diff is
 * exactly the measurement, and a second run on the output changes nothing.
 * `source` names the page in errors.
 */
export function updatePage(text: string, facts: PageFacts, source = "page"): { text: string; changes: FieldChange[] } {
  const lines = splitLines(text);
  const span = findTable(lines);
  if (typeof span === "string")
    throw new ConfigError(`${source}: ${span}; the page needs a "${TABLE_HEADING}" heading followed by a "| Version | Status |" table`);
  const changes: FieldChange[] = [];
  const inBody = (i: number) => i >= span.bodyStart && i < span.bodyEnd;
  const updated = lines.map((line, i) => (inBody(i) ? line : { ...line, text: updateLine(line.text, facts, i + 1, changes) }));
  const result = facts.rows.length > 0 ? replaceBody(updated, span, facts.rows, changes) : updated;
  return { text: joinLines(result), changes: changes.sort((a, b) => a.line - b.line) };
}

/** The line's field values replaced in place; the label's casing and the text around stay. */
function updateLine(text: string, facts: PageFacts, line: number, changes: FieldChange[]): string {
  const note = (field: PageField, before: string, after: string) => {
    if (before !== after) changes.push({ field, before, after, line });
    return after;
  };
  return text
    .replace(FIRST_FIXED, (_m, label: string, value: string, phraseClaimed?: string, version?: string) => {
      const after = renderFirstFixed(facts.firstFixed, (phraseClaimed ?? version) as string) ?? value;
      return label + note("First fixed release", value, after);
    })
    .replace(
      REPRODUCED,
      (_m, label: string, value: string, trailing: string) => label + note("Reproduced locally", value, facts.reproducedLocally) + trailing,
    )
    .replace(LAST_VERIFIED, (_m, label: string, date: string) => label + note("Last verified", date, facts.lastVerified));
}

/**
 * One row per measured version in place of the old body. New rows end like the old ones did; the
 * last keeps whatever ended the old body (possibly no newline at the end of the page).
 */
function replaceBody(lines: Line[], span: TableSpan, rows: PageRow[], changes: FieldChange[]): Line[] {
  const separator = lines[span.separator] as Line;
  const old = lines.slice(span.bodyStart, span.bodyEnd);
  const eol = [...old, separator].map((l) => l.eol).find((e) => e !== "") ?? pageEol(lines);
  const tailEol = old.at(-1)?.eol ?? separator.eol;
  const fresh = rows.map((r, i) => ({ text: renderRow(r), eol: i === rows.length - 1 ? tailEol : eol }));
  if (joinLines(old) !== joinLines(fresh)) {
    const [before, after] = [summarizeRows(old.map((l) => l.text)), summarizeRows(fresh.map((l) => l.text))];
    changes.push({ field: TABLE_HEADING, before, after, line: span.bodyStart + 1 });
  }
  // A table that ended the page without a newline and had no rows needs one before its first row.
  const head = old.length === 0 && separator.eol === "" ? [{ ...separator, eol }] : [separator];
  return [...lines.slice(0, span.separator), ...head, ...fresh, ...lines.slice(span.bodyEnd)];
}
