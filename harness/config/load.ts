import { readFile } from "node:fs/promises";
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
  if (result.success) return result.data;
  throw new ConfigError(describeIssue(result.error.issues[0] as z.core.$ZodIssue, file, doc, lineCounter));
}

function describeIssue(issue: z.core.$ZodIssue, file: string, doc: ReturnType<typeof parseDocument>, lc: LineCounter): string {
  const path = issue.path.map(String);
  // Unknown keys are reported on their parent; point at the key itself so the line is exact.
  const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
  const target = keys.length > 0 ? [...path, keys[0] as string] : path;
  const line = lineOf(doc, lc, target);
  const field = target.length > 0 ? target.join(".") : "(top level)";
  const message =
    issue.code === "unrecognized_keys"
      ? "unknown field (allowed fields are listed in the README)"
      : issue.code === "invalid_key"
        ? (issue.issues[0]?.message ?? issue.message)
        : issue.message;
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

const firstLine = (s: string) => s.split("\n")[0] ?? s;
