import type { z } from "zod";

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown) => (s as { _zod: { def: Def } })._zod.def;

/**
 * `value` with its keys in one canonical order: an object's in the order its schema declares
 * them, a map's (z.record) sorted (an enum's keys in the enum's order). Whoever built the value
 * (a run in the order cells finished, a report from a parsed file, a merge), the same data
 * serialises to the same bytes, so a file is rewritten only when its data changed.
 */
export function canonical<T>(schema: z.ZodType<T>, value: T): T {
  return ordered(defOf(schema), value) as T;
}

function ordered(def: Def, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  switch (def.type) {
    case "optional":
    case "default":
    case "prefault":
    case "nullable":
    case "readonly":
      return ordered(defOf(def.innerType), value);
    case "object": {
      const shape = def.shape as Record<string, unknown>;
      const v = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(shape)) if (v[k] !== undefined) out[k] = ordered(defOf(s), v[k]);
      return out;
    }
    case "array":
      return (value as unknown[]).map((x) => ordered(defOf(def.element), x));
    case "record": {
      const keyDef = defOf(def.keyType);
      const v = value as Record<string, unknown>;
      const enumOrder = keyDef.type === "enum" ? Object.keys(keyDef.entries as object) : undefined;
      const keys = enumOrder ? enumOrder.filter((k) => k in v) : Object.keys(v).sort(byCodeUnit);
      return Object.fromEntries(keys.map((k) => [k, ordered(defOf(def.valueType), v[k])]));
    }
    default:
      return value;
  }
}

// Not localeCompare: the order must not depend on the machine's locale.
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
