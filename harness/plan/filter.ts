import { type Cell, cellId, FILTER_FIELDS, filterTerms, looksLikeCellId, shortClass } from "../cell/cell.js";
import { ConfigError } from "../core/errors.js";

/**
 * `--only uvicorn=0.11.4,preload=true app=plain`: comma or space separated `field=value` terms,
 * all of which must hold; a term repeated for one field means "any of". Worker classes match by
 * their short name too (`workerClass=UvicornWorker`); package axes by their name (`asyncpg=0.29.0`);
 * Gunicorn arguments and environment as cell ids write them (`gunicornArgs=--graceful-timeout+2`,
 * `env=DEBUG=1`, and `gunicornArgs=` for none). A term that is a cell id (`cellId`, as reports show
 * it) selects that cell.
 */
export function parseOnly(expr: string, packageAxes: string[] = []): (c: Cell) => boolean {
  const fields: string[] = [...new Set([...FILTER_FIELDS, ...packageAxes])];
  const wanted = new Map<string, Set<string>>();
  const ids = new Set(onlyIds(expr));
  for (const term of expr.split(/[,\s]+/).filter(Boolean)) {
    if (ids.has(term)) continue;
    // At the first "=": a value may hold more (env=DEBUG=1).
    const eq = term.indexOf("=");
    const [field, value] = eq < 0 ? [term, undefined] : [term.slice(0, eq), term.slice(eq + 1)];
    if (value === undefined || !fields.includes(field)) {
      throw new ConfigError(`--only: "${term}" is not field=value with field one of ${fields.join(", ")}`);
    }
    wanted.set(field, (wanted.get(field) ?? new Set()).add(value));
  }
  return (c) => {
    if (ids.size > 0 && !ids.has(cellId(c))) return false;
    const terms = filterTerms(c);
    return [...wanted].every(([field, values]) => {
      const actual = terms[field] ?? "";
      return values.has(actual) || (field === "workerClass" && values.has(shortClass(actual)));
    });
  };
}

/** The cell ids among `--only`'s terms: the terms that have an id's shape. */
export function onlyIds(expr: string): string[] {
  return expr.split(/[,\s]+/).filter(looksLikeCellId);
}
