import { distance } from "fastest-levenshtein";
import { isNode, type LineCounter, type parseDocument } from "yaml";
import type { z } from "zod";

// A schema issue as one line in the file's terms: the field, its line, what was expected and found.

/** Why the document is not a mapping of fields, if it is not. */
export function notAMapping(data: unknown): string | undefined {
  if (data === null || data === undefined) return "the file is empty";
  if (Array.isArray(data)) return "a list, not a mapping";
  if (typeof data !== "object") return `a single value (${show(data)}), not a mapping`;
  return undefined;
}

const EXPECTED: Record<string, string> = {
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "a mapping (key: value)",
  record: "a mapping (key: value)",
  array: "a list",
};

/** zod's default messages in the file's terms; messages a schema gives itself take precedence. */
export const plainMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, found ${show(issue.input)}`;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, found ${show(issue.input)}`;
    case "too_small":
      if (issue.origin === "array") return "an empty list: give at least one value";
      if (issue.origin === "string") return "must not be empty";
      return `must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}, found ${show(issue.input)}`;
    case "too_big":
      if (issue.origin === "string") return `longer than ${issue.maximum} characters`;
      if (issue.origin === "array") return `more than ${issue.maximum} items`;
      return `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}, found ${show(issue.input)}`;
    default:
      return undefined;
  }
};

/** A value as the file shows it, short. */
function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

export function describeIssue(
  issue: z.core.$ZodIssue,
  file: string,
  doc: ReturnType<typeof parseDocument>,
  lc: LineCounter,
  missing: string[],
): string {
  const path = issue.path.map(String);
  // Unknown keys are reported on their parent; point at the key itself so the line is exact.
  const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
  const target = keys.length > 0 ? [...path, keys[0] as string] : path;
  const line = lineOf(doc, lc, target);
  const field = target.length > 0 ? target.join(".") : "(top level)";
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    const guess = missing.find((m) => similar(m, field));
    message = guess ? `unknown field; did you mean ${guess}?` : "unknown field (allowed fields are listed in the README)";
  } else if (issue.code === "invalid_key") {
    message = issue.issues[0]?.message ?? issue.message;
  } else if (missing.includes(field)) {
    message = "required field is missing";
  } else if (
    (issue.code === "invalid_type" || issue.code === "too_small" || issue.code === "too_big") &&
    issue.input !== undefined &&
    (issue.input === null || typeof issue.input !== "object") &&
    !message.includes("found ")
  ) {
    // A schema's own message says what is wanted; add what the file has.
    message = `${message} (found ${show(issue.input)})`;
  }
  return `${file}${line ? `:${line}` : ""}: ${field}: ${message}`;
}

/** The line of the deepest node on the path that exists in the document. */
function lineOf(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: string[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const keyPath = path.slice(0, depth).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    const node = depth === 0 ? doc.contents : doc.getIn(keyPath, true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
    // A key whose value is missing still has a key node: find it on the parent map.
    const parent = doc.getIn(keyPath.slice(0, -1), true);
    if (parent && typeof parent === "object" && "items" in parent) {
      for (const pair of (parent as { items: { key: unknown }[] }).items) {
        if (isNode(pair.key) && String((pair.key as { value?: unknown }).value) === String(keyPath.at(-1)) && pair.key.range) {
          return lc.linePos(pair.key.range[0]).line;
        }
      }
    }
  }
  return undefined;
}

/** A key absent from a map that exists (not a field of a value the schema merely reshaped, like a string). */
export function isMissing(root: unknown, path: PropertyKey[]): boolean {
  if (path.length === 0) return root === undefined;
  const parent = getIn(root, path.slice(0, -1));
  return parent !== null && typeof parent === "object" && !Array.isArray(parent) && !(String(path.at(-1)) in parent);
}

function getIn(value: unknown, path: PropertyKey[]): unknown {
  let v = value;
  for (const key of path) v = v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/** Same parent, and one name is a prefix of the other or they differ by a letter or two. */
function similar(a: string, b: string): boolean {
  const [pa, pb] = [a.split("."), b.split(".")];
  if (pa.length !== pb.length || pa.slice(0, -1).join(".") !== pb.slice(0, -1).join(".")) return false;
  const [x, y] = [(pa.at(-1) ?? "").toLowerCase(), (pb.at(-1) ?? "").toLowerCase()];
  return x.startsWith(y) || y.startsWith(x) || distance(x, y) <= 2;
}
