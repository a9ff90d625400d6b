import { ConfigError } from "../errors.js";
import type { Cell } from "./cells.js";

const FIELDS = ["python", "gunicorn", "uvicorn", "workerClass", "preload", "app", "workers"] as const;

/**
 * `--only uvicorn=0.11.4,preload=true app=plain`: comma or space separated `field=value` terms,
 * all of which must hold; a term repeated for one field means "any of". Worker classes match by
 * their short name too (`workerClass=UvicornWorker`).
 */
export function parseOnly(expr: string): (c: Cell) => boolean {
  const wanted = new Map<(typeof FIELDS)[number], Set<string>>();
  for (const term of expr.split(/[,\s]+/).filter(Boolean)) {
    const [field, value] = term.split("=", 2);
    if (!field || value === undefined || !FIELDS.includes(field as (typeof FIELDS)[number])) {
      throw new ConfigError(`--only: "${term}" is not field=value with field one of ${FIELDS.join(", ")}`);
    }
    const key = field as (typeof FIELDS)[number];
    wanted.set(key, (wanted.get(key) ?? new Set()).add(value));
  }
  return (c) =>
    [...wanted].every(([field, values]) => {
      const actual = String(c[field]);
      return values.has(actual) || (field === "workerClass" && values.has(actual.split(".").at(-1) ?? ""));
    });
}
