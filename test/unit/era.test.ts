import { describe, expect, it } from "vitest";
import type { Cell } from "../../harness/cell/cell.js";
import type { Outcome } from "../../harness/cell/outcome.js";
import { parseScenario } from "../../harness/config/load.js";
import { ConfigError } from "../../harness/core/errors.js";
import { expandCells } from "../../harness/plan/expand.js";
import { notApplicable, type PythonChoice, PythonPasses, pinKey } from "../../harness/plan/pythons.js";
import { CPYTHON_RELEASES } from "../../harness/releases/cpython-releases.js";
import { eraOrder, planPythons } from "../../harness/releases/era.js";
import type { ProjectFile } from "../../harness/releases/pypi-files.js";
import { exclusionOf } from "../../harness/releases/python-support.js";
import { MINIMAL } from "../helpers/scenarios.js";

/** A PEP 691 page per project: each file with its upload time and Requires-Python. */
function index(projects: Record<string, [filename: string, uploaded: string, requiresPython?: string][]>): typeof globalThis.fetch {
  return (async (url: string | URL) => {
    const name = String(url).split("/").filter(Boolean).at(-1) as string;
    const files = projects[name];
    if (!files) return new Response("", { status: 404 });
    return Response.json(
      {
        meta: { "api-version": "1.1" },
        name,
        files: files.map(([filename, uploaded, rp]) => ({
          filename,
          url: `https://files.example/${filename}`,
          hashes: { sha256: "0".repeat(64) },
          "upload-time": uploaded,
          ...(rp ? { "requires-python": rp } : {}),
        })),
      },
      { headers: { "content-type": "application/vnd.pypi.simple.v1+json" } },
    );
  }) as typeof globalThis.fetch;
}

const file = (filename: string, requiresPython?: string): ProjectFile => ({
  filename,
  url: `https://files.example/${filename}`,
  sha256: "0".repeat(64),
  yanked: false,
  version: "1.0",
  kind: filename.endsWith(".whl") ? "wheel" : "sdist",
  ...(requiresPython ? { requiresPython } : {}),
});

describe("the era Python of a release", () => {
  const all = ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"];

  it("is the newest Python released before the release, then the older ones, then the newer", () => {
    // uvicorn 0.2.0, two days after Python 3.7.0 (2018-06-27).
    expect(eraOrder("2018-06-29T11:31:00Z", all)).toEqual(["3.7", "3.6", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]);
    // uvicorn 0.9.1, a week after Python 3.8.0 (2019-10-14).
    expect(eraOrder("2019-10-21T10:00:00Z", all)[0]).toBe("3.8");
    // The day a Python came out counts as its day.
    expect(eraOrder("2020-10-05T23:00:00Z", all)[0]).toBe("3.9");
    expect(eraOrder("2020-10-04T23:00:00Z", all)[0]).toBe("3.8");
  });

  it("is chosen among the Pythons the release allows and this machine has", () => {
    // uvicorn 0.40.0 requires >=3.10, and no 3.14 here: the newest one there is.
    expect(eraOrder("2025-12-21T00:00:00Z", ["3.10", "3.11", "3.12", "3.13"])).toEqual(["3.13", "3.12", "3.11", "3.10"]);
    // Without 3.7 on this machine, a 2018 release runs on 3.6, its day's other Python.
    expect(eraOrder("2018-07-02T00:00:00Z", ["3.6", "3.9"])).toEqual(["3.6", "3.9"]);
  });

  it("is the oldest allowed when every allowed Python came later, and the newest for a release without an upload time", () => {
    expect(eraOrder("2017-06-05T00:00:00Z", ["3.9", "3.11", "3.7"])).toEqual(["3.7", "3.9", "3.11"]);
    expect(eraOrder(undefined, ["3.9", "3.11", "3.7"])).toEqual(["3.11", "3.9", "3.7"]);
  });

  it("takes the dates of CPython's first final releases, newest last", () => {
    expect(CPYTHON_RELEASES["3.7"]).toBe("2018-06-27");
    expect(CPYTHON_RELEASES["3.13"]).toBe("2024-10-07");
    const dates = Object.values(CPYTHON_RELEASES);
    expect([...dates].sort()).toEqual(dates);
  });
});

describe("what a release's own files exclude", () => {
  it("excludes a Python by every file's Requires-Python, naming it", () => {
    expect(exclusionOf([file("x-1.0.tar.gz", ">=3.10"), file("x-1.0-py3-none-any.whl", ">=3.10")], "3.9")).toBe("Requires-Python >=3.10");
    expect(exclusionOf([file("x-1.0.tar.gz", ">=3.10")], "3.10")).toBeUndefined();
    // A minor version stands for its patch releases: >=3.6.1 allows Python 3.6.
    expect(exclusionOf([file("x-1.0.tar.gz", ">=3.6.1")], "3.6")).toBeUndefined();
  });

  it("excludes a Python by wheel tags only when there is no sdist to build", () => {
    const wheels = [file("x-1.0-cp38-cp38-manylinux2014_x86_64.whl"), file("x-1.0-cp39-cp39-manylinux2014_x86_64.whl")];
    expect(exclusionOf(wheels, "3.7")).toBe("no wheel for Python 3.7 (only cp38-cp38, cp39-cp39) and no sdist");
    expect(exclusionOf(wheels, "3.9")).toBeUndefined();
    expect(exclusionOf([...wheels, file("x-1.0.tar.gz")], "3.7")).toBeUndefined();
    expect(exclusionOf([file("x-1.0-cp37-cp37m-manylinux1_x86_64.whl")], "3.7")).toBeUndefined();
    expect(exclusionOf([file("x-1.0-py3-none-any.whl")], "3.13")).toBeUndefined();
  });

  it("excludes nothing for a release it knows no file of", () => {
    expect(exclusionOf([], "3.9")).toBeUndefined();
  });
});

const ERA = `${MINIMAL.replace("uvicorn: [0.11.3, 0.11.4]", "uvicorn: [0.2.0, 0.9.1, 0.40.0]").replace(
  '"3.9": { base: "debian:bullseye" }',
  '"3.6": { base: pyenv }\n  "3.7": { base: pyenv }\n  "3.8": { base: pyenv }\n  "3.9": { base: pyenv }\n  "3.13": { base: pyenv }',
)}pythonPolicy: era
claim: { text: "first fixed release: 0.9.1", firstFixed: 0.9.1, when: { preload: true } }
`;
const INDEX = index({
  uvicorn: [
    ["uvicorn-0.2.0.tar.gz", "2018-06-29T11:31:00Z"],
    ["uvicorn-0.9.1-py3-none-any.whl", "2019-10-21T10:00:00Z"],
    ["uvicorn-0.40.0-py3-none-any.whl", "2025-12-21T10:00:00Z", ">=3.10"],
  ],
  gunicorn: [["gunicorn-23.0.0-py3-none-any.whl", "2024-08-10T00:00:00Z", ">=3.7"]],
});
const VERSIONS = { uvicorn: ["0.2.0", "0.9.1", "0.40.0"], gunicorn: ["23.0.0"] };

describe("planning each release's Python from the index", () => {
  it("orders each release's Pythons from its upload day among the candidates, and names what every package excludes", async () => {
    const s = parseScenario(ERA);
    const plan = await planPythons(s, VERSIONS, ["3.6", "3.7", "3.8", "3.9", "3.13"], { fetch: INDEX });
    expect(plan.eraPackage).toBe("uvicorn");
    // 3.6 stays a candidate of uvicorn 0.2.0 (it allows it); gunicorn 23 rules it out per cell.
    expect(plan.order.get("0.2.0")).toEqual(["3.7", "3.6", "3.8", "3.9", "3.13"]);
    expect(plan.order.get("0.9.1")).toEqual(["3.8", "3.7", "3.6", "3.9", "3.13"]);
    expect(plan.order.get("0.40.0")).toEqual(["3.13"]);
    expect(Object.fromEntries(plan.era)).toEqual({ "0.2.0": "3.7", "0.9.1": "3.8", "0.40.0": "3.13" });
    expect(plan.excluded.get(pinKey("uvicorn", "0.40.0"))).toEqual(
      new Map(["3.6", "3.7", "3.8", "3.9"].map((p) => [p, "Requires-Python >=3.10"])),
    );
    expect(plan.excluded.get(pinKey("gunicorn", "23.0.0"))).toEqual(new Map([["3.6", "Requires-Python >=3.7"]]));
  });

  it("leaves out of the era a Python this machine lacks", async () => {
    const plan = await planPythons(parseScenario(ERA), VERSIONS, ["3.8", "3.9", "3.13"], { fetch: INDEX });
    expect(plan.order.get("0.2.0")).toEqual(["3.8", "3.9", "3.13"]);
  });

  it("without era, orders nothing but still names each release's era Python and what it excludes", async () => {
    const s = parseScenario(ERA.replace("pythonPolicy: era\n", ""));
    const plan = await planPythons(s, VERSIONS, Object.keys(s.python), { fetch: INDEX });
    expect(plan.eraPackage).toBeUndefined();
    expect(plan.order.size).toBe(0);
    expect(plan.era.get("0.9.1")).toBe("3.8");
    expect(plan.excluded.get(pinKey("uvicorn", "0.40.0"))?.get("3.9")).toBe("Requires-Python >=3.10");
  });

  it("refuses an era over a Python whose release date the table lacks", async () => {
    const s = parseScenario(ERA.replace('"3.13": { base: pyenv }', '"3.15": { base: pyenv }'));
    const err = await planPythons(s, VERSIONS, ["3.9"], { fetch: INDEX, file: "m.yaml" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      "m.yaml: pythonPolicy: era needs the release date of Python 3.15, which harness/releases/cpython-releases.ts does not list yet",
    );
  });

  it("reads pythonPolicy, every by default, and refuses anything else in one line", () => {
    expect(parseScenario(MINIMAL).pythonPolicy).toBe("every");
    expect(parseScenario(ERA).pythonPolicy).toBe("era");
    expect(() => parseScenario(`${MINIMAL}pythonPolicy: newest\n`, "m.yaml")).toThrow(
      /pythonPolicy: every \(each cell on every listed Python\) or era \(each release on the Python of its day\)/,
    );
  });
});

describe("the era's passes", () => {
  const s = parseScenario(ERA);
  const all = expandCells(s, VERSIONS);
  const choice: PythonChoice = {
    eraPackage: "uvicorn",
    order: new Map([
      ["0.2.0", ["3.7", "3.6", "3.8", "3.9", "3.13"]],
      ["0.9.1", ["3.8", "3.7", "3.6", "3.9", "3.13"]],
      ["0.40.0", ["3.13"]],
    ]),
    excluded: new Map([
      [pinKey("uvicorn", "0.40.0"), new Map([["3.9", "Requires-Python >=3.10"]])],
      [pinKey("gunicorn", "23.0.0"), new Map([["3.6", "Requires-Python >=3.7"]])],
    ]),
  };
  const applicable = all.filter((c) => !notApplicable(c, choice.excluded));
  const pythons = (cells: Cell[]) => cells.map((c) => `${c.packages.uvicorn}@${c.python}`);

  it("rules out a cell any of its packages excludes, saying which", () => {
    const cell = all.find((c) => c.packages.uvicorn === "0.40.0" && c.python === "3.9") as Cell;
    expect(notApplicable(cell, choice.excluded)).toEqual({ package: "uvicorn", version: "0.40.0", reason: "Requires-Python >=3.10" });
    expect(notApplicable({ ...cell, python: "3.6" }, choice.excluded)?.package).toBe("gunicorn");
  });

  it("runs each release on its era Python first, then only the untestable ones on their next Python, skipping Pythons where they have no cell", () => {
    const passes = new PythonPasses(applicable, choice);
    const first = passes.first();
    expect(new Set(pythons(first))).toEqual(new Set(["0.2.0@3.7", "0.9.1@3.8", "0.40.0@3.13"]));
    // 0.2.0 cannot be installed on 3.7; 0.9.1 runs; 0.40.0 boots and fails otherwise.
    const outcomes: Record<string, Outcome> = { "0.2.0@3.7": "install-failed", "0.9.1@3.8": "reproduced", "0.40.0@3.13": "boot-failure" };
    const second = passes.next((c) => outcomes[`${c.packages.uvicorn}@${c.python}`]);
    // 3.6 is the next in 0.2.0's order, but gunicorn 23 excludes it: on to 3.8. 0.40.0 has no other Python.
    expect(new Set(pythons(second))).toEqual(new Set(["0.2.0@3.8"]));
    outcomes["0.2.0@3.8"] = "boot-failure";
    expect(new Set(pythons(passes.next((c) => outcomes[`${c.packages.uvicorn}@${c.python}`])))).toEqual(new Set(["0.2.0@3.9"]));
    outcomes["0.2.0@3.9"] = "clean";
    expect(passes.next((c) => outcomes[`${c.packages.uvicorn}@${c.python}`])).toEqual([]);
  });

  it("moves a release on as soon as its own cells are known, once, while others' are still unknown", () => {
    const passes = new PythonPasses(applicable, choice);
    passes.first();
    const outcomes: Record<string, Outcome> = { "0.2.0@3.7": "install-failed" };
    const outcomeOf = (c: Cell) => outcomes[`${c.packages.uvicorn}@${c.python}`];
    // 0.9.1 and 0.40.0 are still running: 0.2.0 goes on to its next Python without them.
    expect(new Set(pythons(passes.next(outcomeOf)))).toEqual(new Set(["0.2.0@3.8"]));
    // Asked again (another env finished) before 0.2.0's cells on 3.8 are known: nothing twice.
    expect(passes.next(outcomeOf)).toEqual([]);
    outcomes["0.9.1@3.8"] = "boot-failure";
    expect(new Set(pythons(passes.next(outcomeOf)))).toEqual(new Set(["0.9.1@3.7"]));
  });

  it("decides nothing on outcomes it does not know (a filtered run), and nothing on a timeout", () => {
    const passes = new PythonPasses(applicable, choice);
    passes.first();
    expect(passes.next(() => undefined)).toEqual([]);
    const again = new PythonPasses(applicable, choice);
    again.first();
    expect(again.next(() => "timeout")).toEqual([]);
  });

  it("is one pass of the whole matrix without era", () => {
    const passes = new PythonPasses(applicable, { order: new Map(), excluded: choice.excluded });
    expect(passes.first()).toEqual(applicable);
    expect(passes.next(() => "install-failed")).toEqual([]);
  });
});
