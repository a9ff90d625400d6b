import { open } from "node:fs/promises";
import { type Document, isAlias, isCollection, isMap, isNode, isPair, isScalar, type Node } from "yaml";
import { ConfigError } from "../core/errors.js";

// What matrix.yaml is checked for before its fields are: size, nesting, YAML syntax and alias
// bombs, each refused with the line to look at.

/** A scenario is a few KB; past this a file is refused before it is parsed (or even read whole). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Values that aliases (*name) may add to the document: a few are handy, millions are a YAML bomb. */
export const MAX_ALIAS_EXPANSION = 10_000;
/** Flow collections ([ { ) nested deeper than this are refused before parsing, which recurses per level. */
export const MAX_FLOW_DEPTH = 64;

/** The file's first `max` bytes: a huge file (or /dev/zero) is never read whole. */
export async function readAtMost(file: string, max: number): Promise<Buffer> {
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

export const tooLarge = (file: string) =>
  new ConfigError(`${file}: (file): larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB (a scenario is a few KB); refused before parsing`);

/** 1-based line of a byte offset. */
export function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i >= 0 && i < offset; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

/**
 * The line where flow collections first nest past the limit. Brackets in quoted scalars and
 * comments are skipped; a stray bracket elsewhere only counts towards a limit no scenario nears.
 */
export function tooDeep(text: string): number | undefined {
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

export function describeSyntaxError(error: { code: string; message: string; pos: [number, number] }, text: string): string {
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
export function aliasBomb(doc: Document.Parsed): { field: string; node: Node; values: number } | undefined {
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

export const firstLine = (s: string) => s.split("\n")[0] ?? s;
