import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  axisPackageOf,
  type Cell,
  cellAxesKey,
  cellId,
  cellLabel,
  filterTerms,
  looksLikeCellId,
  packageEntries,
  versionOf,
} from "../../harness/cell/cell.js";
import { OUTCOMES, showing, untestedOnThisPython } from "../../harness/cell/outcome.js";
import { CellRecord, migrateLegacyAxes } from "../../harness/cell/record.js";
import { parseScenario } from "../../harness/config/load.js";
import { axisPackage, expandCells } from "../../harness/plan/expand.js";
import { parseOnly } from "../../harness/plan/filter.js";
import { readRecords } from "../../harness/store/jsonl.js";
import { readResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";
import { MINIMAL } from "../helpers/scenarios.js";

const cell = (over: Partial<Cell> = {}): Cell => ({
  python: "3.9",
  packages: { uvicorn: "0.11.4", gunicorn: "23.0.0" },
  workerClass: "uvicorn.workers.UvicornWorker",
  preload: true,
  app: "plain",
  workers: 8,
  ...over,
});

describe("the cell model: packages", () => {
  it("names packages uvicorn, gunicorn, then the rest by name, whatever the map's order", () => {
    expect(packageEntries({ zlib: "1", asyncpg: "0.29.0", gunicorn: "23.0.0", uvicorn: "0.11.4" })).toEqual([
      ["uvicorn", "0.11.4"],
      ["gunicorn", "23.0.0"],
      ["asyncpg", "0.29.0"],
      ["zlib", "1"],
    ]);
  });

  it("finds a package's version by its PEP 503 name", () => {
    expect(versionOf(cell({ packages: { uvicorn: "1", Uvicorn_Worker: "0.3.0" } }), "uvicorn-worker")).toBe("0.3.0");
    expect(versionOf(cell(), "asyncpg")).toBe("");
  });

  it("takes the claim's package for the tables, else the one that varies most, never assuming uvicorn", () => {
    const cells = ["1.0.0", "1.1.0"].map((v) => cell({ packages: { uvicorn: "0.39.0", gunicorn: "23.0.0", rmprivate: v } }));
    expect(axisPackageOf(cells)).toBe("rmprivate");
    expect(axisPackageOf(cells, "gunicorn")).toBe("gunicorn");
    expect(axisPackageOf([cell()])).toBe("uvicorn");
    const s = parseScenario(
      MINIMAL.replace("gunicorn: 23.0.0", "gunicorn: [22.0.0, 23.0.0]").replace("uvicorn: [0.11.3, 0.11.4]", "uvicorn: 0.11.4"),
    );
    expect(axisPackage(s, { uvicorn: ["0.11.4"], gunicorn: ["22.0.0", "23.0.0"] })).toBe("gunicorn");
    // Nothing varies (a bisect's --versions will): the anchor, whose releases set the cut-off.
    expect(axisPackage(s, { uvicorn: ["0.11.4"], gunicorn: ["23.0.0"] })).toBe("uvicorn");
  });

  it("picks the same package for the tables and for bisect when two packages vary and no claim names one", () => {
    const s = parseScenario(MINIMAL.replace("gunicorn: 23.0.0", "gunicorn: [22.0.0, 23.0.0]"));
    const versions = { uvicorn: ["0.11.3", "0.11.4"], gunicorn: ["22.0.0", "23.0.0"], rmprivate: ["1", "2", "3"] };
    const cells = versions.rmprivate.flatMap((r) =>
      versions.uvicorn.flatMap((u) => versions.gunicorn.map((g) => cell({ packages: { uvicorn: u, gunicorn: g, rmprivate: r } }))),
    );
    expect(axisPackage(s, versions)).toBe("rmprivate");
    expect(axisPackageOf(cells)).toBe("rmprivate");
    // A tie: the first in naming order, in both.
    const tie = { uvicorn: versions.uvicorn, gunicorn: versions.gunicorn };
    expect(axisPackage(s, tie)).toBe("uvicorn");
    expect(axisPackageOf(cells.filter((c) => c.packages.rmprivate === "1"))).toBe("uvicorn");
  });
});

describe("the cell model: ids, labels, filter terms", () => {
  it("keeps the ids every committed report carries: the migrated records of #85 and the full sweep match their junit.xml", async () => {
    for (const scenario of ["uvicorn-85-preload", "full-sweep", "boot-profile"]) {
      const results = await readResultsFile(join("reports", scenario, "results.json"));
      const junit = await readFile(join("reports", scenario, "junit.xml"), "utf8");
      const names = [...junit.matchAll(/<testcase classname="[^"]*" name="([^"]*)"/g)].map((m) => m[1]);
      expect(results?.cells.length).toBeGreaterThan(0);
      expect(results?.cells.map(cellId).sort()).toEqual(names.sort());
    }
  });

  it("adds Gunicorn arguments and environment to an id only when a cell has them, encoded to stay one --only term", () => {
    const plain = cell();
    expect(cellId(plain)).toBe("py3.9~uvicorn0.11.4~gunicorn23.0.0~uvicorn.workers.UvicornWorker~preload~plain~w8");
    const odd = cell({
      packages: { gunicorn: "23.0.0", asyncpg: "0.29.0", uvicorn: "0.11.4" },
      gunicornArgs: ["--access-logformat", "%(h)s ~,'x'", "--timeout=5"],
      envVars: { MODE: "a b", DEBUG: "1+1" },
    });
    const id = cellId(odd);
    expect(id).toBe(
      "py3.9~uvicorn0.11.4~gunicorn23.0.0~asyncpg0.29.0~uvicorn.workers.UvicornWorker~preload~plain~w8~args:--access-logformat+%25%28h%29s%20%7E%2C%27x%27+--timeout=5~env:DEBUG=1%2B1+MODE=a%20b",
    );
    expect(looksLikeCellId(id)).toBe(true);
    expect(id.split(/[,\s]+/)).toEqual([id]);
    // The id selects exactly that cell among its neighbours.
    const cells = [plain, odd, cell({ ...odd, envVars: { MODE: "a b" } }), cell({ ...odd, gunicornArgs: ["--timeout=5"] })];
    expect(cells.filter(parseOnly(id, ["uvicorn", "gunicorn", "asyncpg"]))).toEqual([odd]);
    expect(cells.map(cellId).length).toBe(new Set(cells.map(cellId)).size);
  });

  it("labels a cell with each axis once, arguments and environment as a person writes them", () => {
    expect(cellLabel(cell({ gunicornArgs: ["--graceful-timeout", "2"], envVars: { B: "x y", A: "1" } }))).toBe(
      'py3.9 uvicorn 0.11.4 gunicorn 23.0.0 UvicornWorker --preload plain -w 8 --graceful-timeout 2 env A=1 B="x y"',
    );
  });

  it("gives every field a filter term, as --only and the id write it", () => {
    expect(filterTerms(cell({ packages: { uvicorn: "0.11.4", gunicorn: "23.0.0", asyncpg: "0.29.0" }, envVars: { A: "1" } }))).toEqual({
      uvicorn: "0.11.4",
      gunicorn: "23.0.0",
      asyncpg: "0.29.0",
      python: "3.9",
      workerClass: "uvicorn.workers.UvicornWorker",
      preload: "true",
      app: "plain",
      workers: "8",
      gunicornArgs: "",
      env: "A=1",
    });
    const cells = expandCells(parseScenario(`${MINIMAL}gunicornArgs: [[], ["--timeout", "5"]]\nenv: [{}, { A: "x=y" }]\n`), {
      uvicorn: ["0.11.4"],
      gunicorn: ["23.0.0"],
    });
    expect(cells).toHaveLength(2 /* preload */ * 2 * 2);
    const only = (expr: string) => cells.filter(parseOnly(expr, ["uvicorn", "gunicorn"]));
    expect(only("gunicornArgs=--timeout+5 env=A=x=y preload=true")).toEqual([
      expect.objectContaining({ gunicornArgs: ["--timeout", "5"], envVars: { A: "x=y" }, preload: true }),
    ]);
    expect(only("gunicornArgs=,env=")).toHaveLength(2);
    expect(only("gunicornArgs=").every((c) => c.gunicornArgs === undefined)).toBe(true);
  });

  it("keys a cell by its axes: equal cells equal keys, whatever order their packages were written in", () => {
    const a = cell({ packages: { uvicorn: "1", gunicorn: "2", asyncpg: "3" } });
    const b = cell({ packages: { asyncpg: "3", gunicorn: "2", uvicorn: "1" } });
    expect(cellAxesKey(a)).toBe(cellAxesKey(b));
    expect(cellAxesKey(a)).not.toBe(cellAxesKey(cell({ ...a, envVars: { X: "1" } })));
  });
});

describe("the cell model: what an outcome says to the claim", () => {
  it("maps every outcome once; a flaky cell is affected when a trial reproduced, and never fixed", () => {
    const said = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, showing({ outcome })]));
    expect(said).toEqual({
      reproduced: "affected",
      clean: "fixed",
      "other-failure": "unaffected",
      "boot-failure": "untested",
      "install-failed": "untested",
      timeout: "untested",
      flaky: "unaffected",
    });
    expect(showing({ outcome: "flaky", trials: { reproducedIn: 1 } })).toBe("affected");
  });

  it("moves an era release to another Python only for what the Python may cause: no env, no boot", () => {
    expect(OUTCOMES.filter(untestedOnThisPython)).toEqual(["boot-failure", "install-failed"]);
    // Each such outcome is untested; a timeout is untested too, but no reason to move.
    for (const o of OUTCOMES.filter(untestedOnThisPython)) expect(showing({ outcome: o })).toBe("untested");
  });
});

describe("records written before packages were a map", () => {
  const legacy = (over: Record<string, unknown> = {}) => {
    const { packages: _, ...rest } = record();
    return { ...rest, uvicorn: "0.11.3", gunicorn: "22.0.0", ...over };
  };

  it("read with their uvicorn, gunicorn and extras as one packages map", () => {
    expect(migrateLegacyAxes(legacy({ extras: { asyncpg: "0.29.0" } }))).toMatchObject({
      packages: { uvicorn: "0.11.3", gunicorn: "22.0.0", asyncpg: "0.29.0" },
    });
    expect(CellRecord.parse(migrateLegacyAxes(legacy())).packages).toEqual({ uvicorn: "0.11.3", gunicorn: "22.0.0" });
    // A record of today's shape, and anything that is not a record, pass as they are.
    expect(migrateLegacyAxes(record())).toEqual(record());
    expect(migrateLegacyAxes("x")).toBe("x");
  });

  it("in a schema 4 results.json, a damaged schema 6 one repaired, and a killed run's results.jsonl", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rm-legacy-"));
    const file = join(dir, "results.json");
    const cells = [legacy({ extras: { asyncpg: "0.29.0" } })];
    await writeFile(
      file,
      JSON.stringify({ schemaVersion: 4, scenario: "demo", harnessVersion: "0.1.0", lastVerified: "2026-11-01", cells, runs: [] }),
    );
    const read = await readResultsFile(file);
    expect(read?.cells.map(cellId)).toEqual([
      "py3.9~uvicorn0.11.3~gunicorn22.0.0~asyncpg0.29.0~uvicorn.workers.UvicornWorker~preload~plain~w8",
    ]);
    // A damaged schema 6 file (stored layout, packages as fields), repaired: its cells still migrate.
    const committed = await readFile(join("reports", "boot-profile", "results.json"), "utf8");
    const damaged = join(dir, "damaged.json");
    await writeFile(damaged, committed.replace(/"outcome":"clean"/, '"outcome":"CLEAN"'));
    const repaired = await readResultsFile(damaged, { repair: true });
    const whole = await readResultsFile(join("reports", "boot-profile", "results.json"));
    expect(repaired?.cells.length).toBe((whole?.cells.length ?? 0) - 1);
    expect(repaired?.cells.every((c) => c.packages.uvicorn === "0.39.0" && c.packages.gunicorn === "23.0.0")).toBe(true);
    const jsonl = join(dir, "results.jsonl");
    await writeFile(jsonl, `${JSON.stringify(legacy())}\n`);
    expect((await readRecords(jsonl)).records.map((r) => r.packages)).toEqual([{ uvicorn: "0.11.3", gunicorn: "22.0.0" }]);
  });
});
