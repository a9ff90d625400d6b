import { describe, expect, it } from "vitest";
import { parseScenario } from "../../harness/config/load.js";
import { expandCells } from "../../harness/plan/cells.js";
import { cellKey } from "../../harness/run/cell-key.js";
import { CONTAINER_PLACE, PUBLISHED_PORT_PLACE } from "../../harness/runtimes/container-place.js";
import { MINIMAL } from "../helpers/scenarios.js";

describe("cell keys", () => {
  const s = parseScenario(MINIMAL);
  const [cell] = expandCells(s, { uvicorn: ["0.11.4"], gunicorn: ["23.0.0"] }) as [ReturnType<typeof expandCells>[number]];
  const apps = [{ path: "plain.py", content: "app = 1\n" }];
  const env = { image: "repro-matrix-env:abc" };
  const key = cellKey(cell, s, env, "docker", apps);

  it("are stable for the same experiment", () => {
    expect(cellKey(cell, parseScenario(MINIMAL), { ...env }, "docker", [{ ...apps[0] } as (typeof apps)[number]])).toBe(key);
  });

  it("take the container's default place when the runtime names none", () => {
    expect(cellKey(cell, s, env, "docker", apps, CONTAINER_PLACE)).toBe(key);
  });

  it("ignore fixtures the cell's server does not load", () => {
    expect(cellKey(cell, s, env, "docker", [...apps, { path: "lifespan.py", content: "other\n" }])).toBe(key);
  });

  it("change with anything that decides the outcome", () => {
    const variants = [
      cellKey(cell, s, { image: "repro-matrix-env:def" }, "docker", apps),
      cellKey(cell, s, env, "local", apps),
      cellKey({ ...cell, preload: !cell.preload }, s, env, "docker", apps),
      cellKey(cell, s, env, "docker", [{ path: "plain.py", content: "app = 2\n" }]),
      cellKey(cell, s, env, "docker", [...apps, { path: "_asgi.py", content: "helpers\n" }]),
      cellKey(cell, parseScenario(`${MINIMAL}probes: { count: 7 }\n`), env, "docker", apps),
      cellKey(cell, parseScenario(MINIMAL.replace("Event loop is closed", "Event loop is shut")), env, "docker", apps),
      cellKey(cell, parseScenario(`${MINIMAL}timeouts: { bootSeconds: 5 }\n`), env, "docker", apps),
      // A remote engine's server listens on a published port, not the shared socket.
      cellKey(cell, s, env, "docker", apps, PUBLISHED_PORT_PLACE),
    ];
    expect(new Set([key, ...variants]).size).toBe(variants.length + 1);
  });
});
