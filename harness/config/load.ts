import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { Scenario } from "./schema.js";

/** Read and validate matrix.yaml; every error names the file, line and field to fix. */
export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`, { cause: err });
  }
  return parseScenario(text, file);
}

export function parseScenario(text: string, file = "matrix.yaml"): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const line = lineCounter.linePos(syntaxError.pos[0]).line;
    throw new ConfigError(`${file}:${line}: YAML syntax error: ${firstLine(syntaxError.message)}`);
  }
  const result = Scenario.safeParse(doc.toJS());
  if (result.success) {
    // Wheel folders are written relative to matrix.yaml, wherever the harness runs from.
    const findLinks = result.data.index.findLinks.map((f) => resolve(dirname(file), f));
    return { ...result.data, index: { ...result.data.index, findLinks } };
  }
  // A misspelt key is the root cause of the "missing field" issue it also causes: report it first.
  const issues = [...result.error.issues].sort((a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"));
  const missing = issues.filter((i) => isMissing(doc.toJS(), i.path)).map((i) => i.path.map(String).join("."));
  throw new ConfigError(describeIssue(issues[0] as z.core.$ZodIssue, file, doc, lineCounter, missing));
}

function describeIssue(
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
function isMissing(root: unknown, path: PropertyKey[]): boolean {
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
  return x.startsWith(y) || y.startsWith(x) || editDistance(x, y) <= 2;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

const firstLine = (s: string) => s.split("\n")[0] ?? s;
