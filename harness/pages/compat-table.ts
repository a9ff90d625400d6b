import type { CompatStatus } from "../claims/compat.js";
import type { Line } from "./lines.js";

export interface PageRow {
  version: string;
  status: CompatStatus;
}

/** Where the page's "Version Compatibility Table" is: its header lines and its body rows. */
export interface TableSpan {
  /** Index of the `|---|---|` line: the body starts after it. */
  separator: number;
  /** Body rows are lines [bodyStart, bodyEnd). */
  bodyStart: number;
  bodyEnd: number;
}

export const TABLE_HEADING = "Version Compatibility Table";

const isHeading = (text: string) => /^#*\s*Version Compatibility Table\s*$/i.test(text.trim());
const isRow = (text: string) => text.trimStart().startsWith("|");
const isSeparator = (text: string) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(text);
const cells = (text: string) =>
  text
    .trim()
    .replace(/^\||\|$/g, "")
    .split("|")
    .map((c) => c.trim());

/**
 * The table under the heading, or a reason it cannot be updated. Only a `| Version | Status |`
 * table is written: rows of another shape would be half-filled, which is worse than refusing.
 */
export function findTable(lines: Line[]): TableSpan | string {
  const heading = lines.findIndex((l) => isHeading(l.text));
  if (heading < 0) return `no "${TABLE_HEADING}" heading`;
  let header = heading + 1;
  while (header < lines.length && lines[header]?.text.trim() === "") header++;
  const headerText = lines[header]?.text ?? "";
  if (!isRow(headerText) || !isSeparator(lines[header + 1]?.text ?? ""))
    return `no markdown table (a "| Version | Status |" line, then "|---|---|") under "${TABLE_HEADING}"`;
  const columns = cells(headerText).map((c) => c.toLowerCase());
  if (columns.join("|") !== "version|status")
    return `the table under "${TABLE_HEADING}" has columns "${cells(headerText).join(" | ")}", not "Version | Status"`;
  const separator = header + 1;
  let bodyEnd = separator + 1;
  while (bodyEnd < lines.length && isRow(lines[bodyEnd]?.text ?? "")) bodyEnd++;
  return { separator, bodyStart: separator + 1, bodyEnd };
}

export const renderRow = (r: PageRow) => `| ${r.version} | ${r.status} |`;

/** "0.14.1 Affected, 0.14.2 Fixed": a table body in one line, for a change report. */
export const summarizeRows = (texts: string[]) => (texts.length === 0 ? "(no rows)" : texts.map((t) => cells(t).join(" ")).join(", "));
