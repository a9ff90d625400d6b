import { isUtf8 } from "node:buffer";
import { open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type Document, isAlias, isCollection, isMap, isNode, isPair, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { Scenario } from "./schema.js";

/** A scenario is a few KB; past this a file is refused before it is parsed (or even read whole). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Values that aliases (*name) may add to the document: a few are handy, millions are a YAML bomb. */
export const MAX_ALIAS_EXPANSION = 10_000;
/** Flow collections ([ { ) nested deeper than this are refused before parsing, which recurses per level. */
const MAX_FLOW_DEPTH = 64;

/** Read and validate matrix.yaml; every error names the file, line and field to fix. */
export async function loadScenario(file: string): Promise<Scenario> {
  let bytes: Buffer;
  try {
    bytes = await readAtMost(file, MAX_CONFIG_BYTES + 1);
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`, { cause: err });
  }
  if (bytes.length > MAX_CONFIG_BYTES) throw tooLarge(file);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new ConfigError(`${file}:${lineAt(bytes, nul)}: (file): binary data (a NUL byte), not a YAML text file`);
  if (!isUtf8(bytes)) {
    // Decoding puts U+FFFD where the bytes are invalid: the first byte that differs is the culprit.
    const decoded = Buffer.from(bytes.toString("utf8"), "utf8");
    let at = 0;
    while (at < bytes.length && bytes[at] === decoded[at]) at++;
    const byte = (bytes[at] ?? 0).toString(16).padStart(2, "0");
    throw new ConfigError(`${file}:${lineAt(bytes, at)}: (file): not UTF-8 text (byte 0x${byte}); save it as UTF-8`);
  }
  return parseScenario(bytes.toString("utf8"), file);
}

export function parseScenario(text: string, file = "matrix.yaml"): Scenario {
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) throw tooLarge(file);
  const nul = text.indexOf("\0");
  if (nul >= 0)
    throw new ConfigError(`${file}:${text.slice(0, nul).split("\n").length}: (file): binary data (a NUL byte), not a YAML text file`);
  const deep = tooDeep(text);
  if (deep)
    throw new ConfigError(`${file}:${deep}: (top level): [ or { nested more than ${MAX_FLOW_DEPTH} deep; a scenario needs a few levels`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  // A malformed line can make later keys look like duplicates: report real syntax errors first.
  const syntaxError = doc.errors.find((e) => e.code !== "DUPLICATE_KEY") ?? doc.errors[0];
  if (syntaxError) {
    const line = lineCounter.linePos(syntaxError.pos[0]).line;
    throw new ConfigError(`${file}:${line}: ${describeSyntaxError(syntaxError, text)}`);
  }
  const bomb = aliasBomb(doc);
  if (bomb) {
    const line = bomb.node.range ? `:${lineCounter.linePos(bomb.node.range[0]).line}` : "";
    throw new ConfigError(
      `${file}${line}: ${bomb.field}: aliases (*name) expand it to ${bomb.values} values, over ${MAX_ALIAS_EXPANSION} (a "billion laughs" YAML bomb?); refused unexpanded, write the values out`,
    );
  }
  let data: unknown;
  try {
    // The check above bounds what aliases add; yaml's own limit stays on as a second guard.
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (err) {
    throw new ConfigError(`${file}: (top level): ${firstLine((err as Error).message)}; write the aliased values out`, { cause: err });
  }
  const shape = notAMapping(data);
  if (shape) {
    const line = isNode(doc.contents) && doc.contents.range ? `:${lineCounter.linePos(doc.contents.range[0]).line}` : "";
    throw new ConfigError(
      `${file}${line}: (top level): ${shape}; a scenario is a mapping of fields such as scenario:, packages:, python: (see the README)`,
    );
  }
  const result = Scenario.safeParse(data, { reportInput: true, error: plainMessage });
  if (result.success) {
    // Wheel folders are written relative to matrix.yaml, wherever the harness runs from.
    const findLinks = result.data.index.findLinks.map((f) => resolve(dirname(file), f));
    return { ...result.data, index: { ...result.data.index, findLinks } };
  }
  // A misspelt key is the root cause of the "missing field" issue it also causes: report it first.
  const issues = [...result.error.issues].sort((a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"));
  // A field the file lacks (not a cross-field check that points at a defaulted one).
  const missing = issues.filter((i) => i.code !== "custom" && isMissing(data, i.path)).map((i) => i.path.map(String).join("."));
  throw new ConfigError(describeIssue(issues[0] as z.core.$ZodIssue, file, doc, lineCounter, missing));
}

/** The file's first `max` bytes: a huge file (or /dev/zero) is never read whole. */
async function readAtMost(file: string, max: number): Promise<Buffer> {
  await using handle = await open(file, "r");
  const buffer = Buffer.alloc(max);
  let length = 0;
  while (length < max) {
    const { bytesRead } = await handle.read(buffer, length, max - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

const tooLarge = (file: string) =>
  new ConfigError(`${file}: (file): larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB (a scenario is a few KB); refused before parsing`);

/** 1-based line of a byte offset. */
function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i >= 0 && i < offset; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

/**
 * The line where flow collections first nest past the limit. Brackets in quoted scalars and
 * comments are skipped; a stray bracket elsewhere only counts towards a limit no scenario nears.
 */
function tooDeep(text: string): number | undefined {
  let depth = 0;
  let line = 1;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    if (quote) {
      if (c === "\\" && quote === '"' && text[++i] === "\n") line++;
      else if (c === quote) quote = undefined;
    } else if (c === "#" && (i === 0 || /\s/.test(text[i - 1] ?? ""))) {
      const eol = text.indexOf("\n", i);
      i = eol < 0 ? text.length : eol - 1;
    } else if ((c === '"' || c === "'") && /^[\s[{,:-]?$/.test(text[i - 1] ?? "")) quote = c;
    else if (c === "[" || c === "{") {
      if (++depth > MAX_FLOW_DEPTH) return line;
    } else if ((c === "]" || c === "}") && depth > 0) depth--;
  }
  return undefined;
}

function describeSyntaxError(error: { code: string; message: string; pos: [number, number] }, text: string): string {
  switch (error.code) {
    case "DUPLICATE_KEY": {
      // The error points at the second key: read it up to its colon (quoted or plain).
      const key = /^(?:"[^"\n]*"|'[^'\n]*'|[^:\n]*?)(?=\s*:)/.exec(text.slice(error.pos[0]))?.[0].replace(/^["']|["']$/g, "");
      return `${key || "(key)"}: appears twice in the same mapping; keep one`;
    }
    case "TAB_AS_INDENT":
      return "YAML syntax error: a tab indents this line; indent with spaces";
    case "MULTIPLE_DOCS":
      return "YAML syntax error: more than one YAML document (a --- line); one scenario per file";
    case "RESOURCE_EXHAUSTION":
      return "YAML syntax error: nested too deeply to parse; a scenario needs a few levels";
    default:
      return `YAML syntax error: ${firstLine(error.message)}`;
  }
}

/**
 * A document whose aliases would expand past the limit (the "billion laughs": nine aliases of
 * nine aliases of ...), found by counting, never by expanding: each node's size is computed once.
 * Names the first top-level field over the limit, or the document when only their sum is.
 */
function aliasBomb(doc: Document.Parsed): { field: string; node: Node; values: number } | undefined {
  const sizes = new Map<unknown, number>();
  const size = (node: unknown, expand: boolean): number => {
    if (isAlias(node)) return expand ? size(node.resolve(doc), true) : 1;
    if (!isNode(node) && !isPair(node)) return node == null ? 0 : 1;
    const key = expand ? node : { node };
    const known = expand ? sizes.get(key) : undefined;
    if (known !== undefined) return known;
    if (expand) sizes.set(key, 1); // an alias inside its own anchor counts once, not forever
    let n = 1;
    if (isPair(node)) n = size(node.key, expand) + size(node.value, expand);
    else if (isCollection(node)) for (const item of node.items) n += size(item, expand);
    if (expand) sizes.set(key, n);
    return n;
  };
  const added = (node: unknown) => size(node, true) - size(node, false);
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      const values = added(pair.value);
      if (values > MAX_ALIAS_EXPANSION && isNode(pair.key))
        return { field: String(isScalar(pair.key) ? pair.key.value : pair.key), node: pair.key, values };
    }
  }
  const values = added(doc.contents);
  return values > MAX_ALIAS_EXPANSION && isNode(doc.contents) ? { field: "(top level)", node: doc.contents, values } : undefined;
}

/** Why the document is not a mapping of fields, if it is not. */
function notAMapping(data: unknown): string | undefined {
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
const plainMessage: z.core.$ZodErrorMap = (issue) => {
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
