import { isUtf8 } from "node:buffer";
import { dirname, resolve } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { describeIssue, isMissing, notAMapping, plainMessage } from "./issue-message.js";
import { Scenario } from "./schema.js";
import {
  aliasBomb,
  describeSyntaxError,
  firstLine,
  lineAt,
  MAX_ALIAS_EXPANSION,
  MAX_CONFIG_BYTES,
  MAX_FLOW_DEPTH,
  readAtMost,
  tooDeep,
  tooLarge,
} from "./yaml-guards.js";

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
    // Apps and config files too: the loader records the folder they are relative to.
    return { ...result.data, index: { ...result.data.index, findLinks }, dir: dirname(resolve(file)) };
  }
  // A misspelt key is the root cause of the "missing field" issue it also causes: report it first.
  const issues = [...result.error.issues].sort((a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"));
  // A field the file lacks (not a cross-field check that points at a defaulted one).
  const missing = issues.filter((i) => i.code !== "custom" && isMissing(data, i.path)).map((i) => i.path.map(String).join("."));
  throw new ConfigError(describeIssue(issues[0] as z.core.$ZodIssue, file, doc, lineCounter, missing));
}
