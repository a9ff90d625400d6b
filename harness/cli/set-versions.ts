import { closest, distance } from "fastest-levenshtein";
import type { Scenario } from "../config/schema.js";
import { ConfigError } from "../core/errors.js";

/** Names an object inherits: `--set __proto__=1` once replaced the prototype and ran the whole matrix. */
const INHERITED = new Set(["__proto__", "constructor", "prototype"]);

/**
 * `--set uvicorn=0.29.0,0.30.0`: run these versions of a package axis instead of the file's, e.g.
 * to rerun one side of a bisect boundary; they are checked against the index like any other.
 * The axes are read into a Map, so a user's name is never a property lookup.
 */
export function withVersions(s: Scenario, sets: string[], file: string): Scenario {
  if (sets.length === 0) return s;
  const axes = new Map(Object.entries(s.packages));
  for (const set of sets) {
    const at = set.indexOf("=");
    const [name, list] = at < 0 ? [set, ""] : [set.slice(0, at), set.slice(at + 1)];
    const versions = list.split(",").filter(Boolean);
    if (!name || versions.length === 0) throw new ConfigError(`--set: "${set}" is not package=version[,version...]`);
    if (INHERITED.has(name)) throw new ConfigError(`--set: "${name}" is not a package name`);
    if (!axes.has(name)) {
      const known = [...axes.keys()];
      const near = closest(name.toLowerCase(), known);
      const hint = distance(name.toLowerCase(), near.toLowerCase()) <= 2 ? `; did you mean ${near}?` : "";
      throw new ConfigError(`--set: ${name} is not a package axis of ${file} (${known.join(", ")})${hint}`);
    }
    axes.set(name, { versions });
  }
  return { ...s, packages: Object.fromEntries(axes) };
}
