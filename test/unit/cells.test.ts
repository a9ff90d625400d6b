import { describe, expect, it } from "vitest";
import { parseScenario } from "../../harness/config/load.js";
import { ConfigError } from "../../harness/errors.js";
import { envKey, envOf, expandCells } from "../../harness/plan/cells.js";
import { parseOnly } from "../../harness/plan/filter.js";
import { MINIMAL } from "../helpers/scenarios.js";

describe("expandCells", () => {
  const s = parseScenario(MINIMAL.replace("apps: [plain]", "apps: [plain, lifespan]"));

  it("is the full product of the axes", () => {
    const cells = expandCells(s);
    expect(cells).toHaveLength(2 /* uvicorn */ * 1 * 2 /* preload */ * 2 /* apps */);
    expect(cells[0]).toEqual({
      python: "3.9",
      gunicorn: "23.0.0",
      uvicorn: "0.11.3",
      workerClass: "uvicorn.workers.UvicornWorker",
      preload: false,
      app: "plain",
      workers: 8,
    });
  });

  it("groups cells into one env per (python, gunicorn, uvicorn)", () => {
    const keys = new Set(expandCells(s).map((c) => envKey(envOf(c, s))));
    expect([...keys]).toEqual(["py3.9-gunicorn23.0.0-uvicorn0.11.3", "py3.9-gunicorn23.0.0-uvicorn0.11.4"]);
  });

  it("filters with --only terms, short worker class names included", () => {
    const only = parseOnly("uvicorn=0.11.4,preload=true workerClass=UvicornWorker");
    const kept = expandCells(s).filter(only);
    expect(kept).toHaveLength(2);
    expect(kept.every((c) => c.uvicorn === "0.11.4" && c.preload)).toBe(true);
  });

  it("rejects an unknown --only field with a one-line error", () => {
    expect(() => parseOnly("version=1")).toThrow(ConfigError);
    expect(() => parseOnly("version=1")).toThrow(/--only: "version=1" is not field=value/);
  });
});
