import { describe, expect, it } from "vitest";
import { cellId, envKey, envOf } from "../../harness/cell/cell.js";
import { parseScenario } from "../../harness/config/load.js";
import { ConfigError } from "../../harness/core/errors.js";
import { expandCells } from "../../harness/plan/expand.js";
import { parseOnly } from "../../harness/plan/filter.js";
import { MINIMAL } from "../helpers/scenarios.js";

describe("expandCells", () => {
  const s = parseScenario(MINIMAL.replace("apps: [plain]", "apps: [plain, lifespan]"));
  const versions = { uvicorn: ["0.11.3", "0.11.4"], gunicorn: ["23.0.0"] };

  it("is the full product of the axes", () => {
    const cells = expandCells(s, versions);
    expect(cells).toHaveLength(2 /* uvicorn */ * 1 * 2 /* preload */ * 2 /* apps */);
    expect(cells[0]).toEqual({
      python: "3.9",
      packages: { uvicorn: "0.11.3", gunicorn: "23.0.0" },
      workerClass: "uvicorn.workers.UvicornWorker",
      preload: false,
      app: "plain",
      workers: 8,
    });
  });

  it("groups cells into one env per (python, gunicorn, uvicorn)", () => {
    const keys = new Set(expandCells(s, versions).map((c) => envKey(envOf(c, s))));
    expect([...keys]).toEqual(["py3.9-uvicorn0.11.3-gunicorn23.0.0", "py3.9-uvicorn0.11.4-gunicorn23.0.0"]);
  });

  it("makes any further package an axis, and a worker class's package part of its env", () => {
    const t = parseScenario(
      MINIMAL.replace("gunicorn: 23.0.0", 'gunicorn: 23.0.0\n  asyncpg: ["0.29.0", "0.30.0"]').replace(
        "workerClasses: [uvicorn.workers.UvicornWorker]",
        "workerClasses:\n  - uvicorn.workers.UvicornWorker\n  - { class: uvicorn_worker.UvicornWorker, package: uvicorn-worker==0.3.0 }",
      ),
    );
    const cells = expandCells(t, { ...versions, asyncpg: ["0.29.0", "0.30.0"] });
    expect(cells).toHaveLength(2 * 2 /* asyncpg */ * 2 /* classes */ * 2 /* preload */);
    expect(cells[0]?.packages).toEqual({ uvicorn: "0.11.3", gunicorn: "23.0.0", asyncpg: "0.29.0" });
    const external = cells.find((c) => c.workerClass === "uvicorn_worker.UvicornWorker") as (typeof cells)[number];
    const env = envOf(external, t);
    expect(env.packages.map((p) => p.name)).toEqual(["uvicorn", "gunicorn", "asyncpg"]);
    expect(env.requirements).toEqual(["uvicorn-worker==0.3.0"]);
    expect(envKey(env)).toBe("py3.9-uvicorn0.11.3-gunicorn23.0.0-asyncpg0.29.0-uvicorn-worker==0.3.0");
  });

  it("installs a package axis with its extras, and names them in the env key", () => {
    const withExtras = parseScenario(`${MINIMAL}packageExtras: { uvicorn: [standard] }\n`);
    const [cell] = expandCells(withExtras, versions);
    const env = envOf(cell as NonNullable<typeof cell>, withExtras);
    expect(env.packages[0]).toEqual({ name: "uvicorn", version: "0.11.3", extras: ["standard"] });
    expect(envKey(env)).toBe("py3.9-uvicorn[standard]0.11.3-gunicorn23.0.0");
  });

  it("filters with --only terms, short worker class names included", () => {
    const only = parseOnly("uvicorn=0.11.4,preload=true workerClass=UvicornWorker", Object.keys(versions));
    const kept = expandCells(s, versions).filter(only);
    expect(kept).toHaveLength(2);
    expect(kept.every((c) => c.packages.uvicorn === "0.11.4" && c.preload)).toBe(true);
  });

  it("filters by a further package axis by its name", () => {
    const extra = { ...versions, asyncpg: ["0.28.0", "0.29.0"] };
    const only = parseOnly("asyncpg=0.29.0 uvicorn=0.11.4", Object.keys(extra));
    const kept = expandCells(s, extra).filter(only);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((c) => c.packages.asyncpg === "0.29.0" && c.packages.uvicorn === "0.11.4")).toBe(true);
    expect(() => parseOnly("asyncpg=0.29.0")).toThrow(/field one of python, workerClass, preload, app, workers, gunicornArgs, env$/);
  });

  it("gives every cell a distinct, readable id that --only selects it by", () => {
    const all = expandCells(s, versions);
    expect(new Set(all.map(cellId)).size).toBe(all.length);
    const one = all.find((c) => c.packages.uvicorn === "0.11.4" && c.preload && c.app === "lifespan");
    const id = cellId(one as (typeof all)[number]);
    expect(id).toBe("py3.9~uvicorn0.11.4~gunicorn23.0.0~uvicorn.workers.UvicornWorker~preload~lifespan~w8");
    expect(all.filter(parseOnly(id))).toEqual([one]);
    expect(all.filter(parseOnly(`${id},app=plain`))).toEqual([]);
  });

  it("rejects an unknown --only field with a one-line error", () => {
    expect(() => parseOnly("version=1")).toThrow(ConfigError);
    expect(() => parseOnly("version=1")).toThrow(/--only: "version=1" is not field=value/);
  });
});
