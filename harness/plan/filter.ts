import { type Cell, cellId } from "../cell/cell.js";
import { ConfigError } from "../core/errors.js";

const FIELDS = ["python", "gunicorn", "uvicorn", "workerClass", "preload", "app", "workers"] as const;

/**
 * `--only uvicorn=0.11.4,preload=true app=plain`: comma or space separated `field=value` terms,
 * all of which must hold; a term repeated for one field means "any of". Worker classes match by
 * their short name too (`workerClass=UvicornWorker`); further package axes by their name
 * (`asyncpg=0.29.0`). A term without "=" is a cell id (`cellId`, as reports show it): the cell
 * must be one of the ids given.
 */
export function parseOnly(expr: string, packageAxes: string[] = []): (c: Cell) => boolean {
  const fields: string[] = [...new Set([...FIELDS, ...packageAxes])];
  const wanted = new Map<string, Set<string>>();
  const ids = new Set(onlyIds(expr));
  for (const term of expr.split(/[,\s]+/).filter(Boolean)) {
    if (ids.has(term)) continue;
    const [field, value] = term.split("=", 2);
    if (!field || value === undefined || !fields.includes(field)) {
      throw new ConfigError(`--only: "${term}" is not field=value with field one of ${fields.join(", ")}`);
    }
    wanted.set(field, (wanted.get(field) ?? new Set()).add(value));
  }
  return (c) =>
    (ids.size === 0 || ids.has(cellId(c))) &&
    [...wanted].every(([field, values]) => {
      const actual = (FIELDS as readonly string[]).includes(field)
        ? String(c[field as (typeof FIELDS)[number]])
        : String(c.extras?.[field]);
      return values.has(actual) || (field === "workerClass" && values.has(actual.split(".").at(-1) ?? ""));
    });
}

/** The cell ids among `--only`'s terms: the terms without "=" that have an id's shape. */
export function onlyIds(expr: string): string[] {
  return expr.split(/[,\s]+/).filter((t) => !t.includes("=") && /^py[^~]+~uvicorn[^~]+~/.test(t));
}
