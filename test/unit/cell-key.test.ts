import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { parseScenario } from "../../harness/config/load.js";
import { expandCells } from "../../harness/plan/expand.js";
import { cellKey, experimentCode } from "../../harness/run/cell-key.js";
import { CONTAINER_PLACE, PUBLISHED_PORT_PLACE } from "../../harness/runtimes/docker/container-place.js";
import { MINIMAL } from "../helpers/scenarios.js";

const DOCKER_CODE = new URL("../../harness/runtimes/docker/", import.meta.url);
const LOCAL_CODE = new URL("../../harness/runtimes/local/", import.meta.url);

describe("cell keys", () => {
  const s = parseScenario(MINIMAL);
  const [cell] = expandCells(s, { uvicorn: ["0.11.4"], gunicorn: ["23.0.0"] }) as [ReturnType<typeof expandCells>[number]];
  const apps = [{ path: "plain.py", content: "app = 1\n" }];
  const env = { image: "repro-matrix-env:abc" };
  const docker = { name: "docker" };
  const code = experimentCode(DOCKER_CODE);
  type Inputs = Parameters<typeof cellKey>[0];
  const keyOf = (over: Partial<Inputs> = {}) => cellKey({ cell, scenario: s, env, runtime: docker, code, apps, ...over });
  const key = keyOf();

  it("are stable for the same experiment", () => {
    expect(keyOf({ scenario: parseScenario(MINIMAL), env: { ...env }, apps: [{ ...apps[0] } as (typeof apps)[number]] })).toBe(key);
  });

  it("take the container's default place when the runtime names none", () => {
    expect(keyOf({ runtime: { ...docker, place: CONTAINER_PLACE } })).toBe(key);
  });

  it("ignore fixtures the cell's server does not load", () => {
    expect(keyOf({ apps: [...apps, { path: "lifespan.py", content: "other\n" }] })).toBe(key);
  });

  it("change with anything that decides the outcome", () => {
    const variants = [
      keyOf({ env: { image: "repro-matrix-env:def" } }),
      keyOf({ runtime: { name: "local" } }),
      // Another adapter's code (the local runtime's folder) is another experiment.
      keyOf({ code: experimentCode(LOCAL_CODE) }),
      keyOf({ cell: { ...cell, preload: !cell.preload } }),
      keyOf({ apps: [{ path: "plain.py", content: "app = 2\n" }] }),
      keyOf({ apps: [...apps, { path: "_asgi.py", content: "helpers\n" }] }),
      keyOf({ scenario: parseScenario(`${MINIMAL}probes: { count: 7 }\n`) }),
      keyOf({ scenario: parseScenario(MINIMAL.replace("Event loop is closed", "Event loop is shut")) }),
      keyOf({ scenario: parseScenario(`${MINIMAL}timeouts: { bootSeconds: 5 }\n`) }),
      // A remote engine's server listens on a published port, not the shared socket.
      keyOf({ runtime: { ...docker, place: PUBLISHED_PORT_PLACE } }),
      // What counts as reproduced, and what is done to the server.
      keyOf({ scenario: parseScenario(`${MINIMAL}checks: [{ missingLine: "Worker exiting" }]\n`) }),
      keyOf({ scenario: parseScenario(`${MINIMAL}checks: [{ missingLine: "Worker exiting", phase: shutdown }]\n`) }),
      keyOf({ scenario: parseScenario(`${MINIMAL}steps: [{ probe: {} }]\n`) }),
      keyOf({ scenario: parseScenario(`${MINIMAL}steps: [{ probe: {} }, { signal: HUP }, { probe: {} }]\n`) }),
    ];
    expect(new Set([key, ...variants]).size).toBe(variants.length + 1);
  });
});

describe("experiment code", () => {
  it("hashes every file of the adapter's folder, whatever it is called", async () => {
    const dir = await mkdtemp(join(tmpdir(), "adapter-"));
    await mkdir(join(dir, "nested"));
    await writeFile(join(dir, "any-name.ts"), "export const a = 1;\n");
    const folder = pathToFileURL(`${dir}/`);
    const before = experimentCode(folder);
    expect(experimentCode(folder)).toBe(before);
    await writeFile(join(dir, "nested", "deeper.ts"), "export const b = 2;\n");
    const added = experimentCode(folder);
    expect(added).not.toBe(before);
    await writeFile(join(dir, "any-name.ts"), "export const a = 2;\n");
    expect(experimentCode(folder)).not.toBe(added);
    await rm(dir, { recursive: true });
  });
});
