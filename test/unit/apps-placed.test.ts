import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseScenario } from "../../harness/config/load.js";
import { ConfigError } from "../../harness/core/errors.js";
import { expandCells } from "../../harness/plan/expand.js";
import { cellKey } from "../../harness/run/cell-key.js";
import { filesOfCell, loadApps } from "../../harness/run/fixtures.js";
import { gunicornCommand } from "../../harness/run/run-cell.js";
import { CONTAINER_PLACE, SOCKET_DIR } from "../../harness/runtimes/docker/container-place.js";
import { VENV } from "../../harness/runtimes/docker/env-image.js";
import { NOMINAL_PLACE } from "../../harness/runtimes/runtime.js";
import { MINIMAL } from "../helpers/scenarios.js";

/** A scenario file in a fresh folder with its own files; returns the scenario as loaded from there. */
async function scenarioWith(lines: string, files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), "rm-apps-"));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return parseScenario(`${MINIMAL.replace("apps: [plain]\n", "")}${lines}`, join(dir, "demo.yaml"));
}

const VERSIONS = { uvicorn: ["0.11.4"], gunicorn: ["23.0.0"] };
const LOCAL = { venv: "/venvs/x", appDir: "/tmp/run/app-1", bind: "127.0.0.1:4000" };

describe("placing the scenario's apps", () => {
  it("writes recorded commands against a container's real paths: the nominal place is the container's", () => {
    // The run stage writes commands against NOMINAL_PLACE without importing the docker adapter;
    // a container must be that place, else recorded commands would name paths no server had.
    expect(CONTAINER_PLACE).toEqual(NOMINAL_PLACE);
    expect(NOMINAL_PLACE.venv).toBe(VENV);
    expect(NOMINAL_PLACE.bind).toBe(`unix:${SOCKET_DIR}/gunicorn.sock`);
  });

  it("places an own app's folder under its name, with the wrapper and an entry module that imports it", async () => {
    const s = await scenarioWith("apps: [apps/plain_text.py, plain]\n", {
      "apps/plain_text.py": "app = None\n",
      "apps/helpers/util.py": "X = 1\n",
      "apps/__pycache__/plain_text.cpython-311.pyc": "junk",
      "apps/.hidden": "junk",
    });
    const files = await loadApps(s);
    const paths = files.map((f) => f.path);
    expect(paths.filter((p) => p.startsWith("plain-text/")).sort()).toEqual([
      "plain-text/_repro_matrix.py",
      "plain-text/helpers/util.py",
      "plain-text/plain_text.py",
      "plain-text/repro_matrix__plain_text.py",
    ]);
    // Fixtures share the folder's root, with their helpers, the wrapper and their entries.
    expect(paths).toEqual(expect.arrayContaining(["plain.py", "_asgi.py", "_repro_matrix.py", "repro_matrix__plain.py"]));
    const entry = files.find((f) => f.path === "plain-text/repro_matrix__plain_text.py");
    expect(String(entry?.content)).toContain('app = wrap("plain_text", "app")');
  });

  it("runs Gunicorn on the entry module, an own app in its own folder, the scenario's arguments after the harness's", async () => {
    const s = await scenarioWith(
      'apps: [plain, "apps/plain_text.py:api"]\ngunicornArgs: [["--graceful-timeout", "2", "--config", "conf/gunicorn.conf.py"]]\n',
      {
        "apps/plain_text.py": "api = None\n",
        "conf/gunicorn.conf.py": "workers = 1\n",
      },
    );
    const [fixture, own] = expandCells(s, VERSIONS).filter((c) => !c.preload);
    expect(gunicornCommand(fixture as NonNullable<typeof fixture>, s, LOCAL)).toEqual([
      "/venvs/x/bin/gunicorn",
      ...["--workers", "8", "--worker-class", "uvicorn.workers.UvicornWorker"],
      ...["--bind", "127.0.0.1:4000", "--chdir", "/tmp/run/app-1", "--worker-tmp-dir", "/tmp"],
      ...["--graceful-timeout", "10", "--timeout", "30"],
      ...["--graceful-timeout", "2", "--config", "/tmp/run/app-1/_config/conf/gunicorn.conf.py"],
      "repro_matrix__plain:app",
    ]);
    const command = gunicornCommand(own as NonNullable<typeof own>, s);
    expect(command.slice(command.indexOf("--chdir"), command.indexOf("--chdir") + 2)).toEqual(["--chdir", "/app/plain-text"]);
    expect(command.at(-1)).toBe("repro_matrix__plain_text:app");
    expect(command).toContain("/app/_config/conf/gunicorn.conf.py");
    const files = await loadApps(s);
    expect(files.find((f) => f.path === "_config/conf/gunicorn.conf.py")?.content.toString()).toBe("workers = 1\n");
  });

  it("says which field names a missing app or config file", async () => {
    const noApp = await scenarioWith("apps: [apps/missing.py]\n", {});
    await expect(loadApps(noApp)).rejects.toThrow(ConfigError);
    await expect(loadApps(noApp)).rejects.toThrow(/^apps\[0\]\.path: no such file: .*\/apps\/missing\.py$/);
    const noConfig = await scenarioWith('apps: [plain]\ngunicornArgs: [[], ["-c", "gunicorn.conf.py"]]\n', {});
    await expect(loadApps(noConfig)).rejects.toThrow(
      /^gunicornArgs\[1\]\[1\]: no config file gunicorn\.conf\.py next to the scenario file$/,
    );
    const fixture = await scenarioWith("apps: [no-such-fixture]\n", {});
    await expect(loadApps(fixture)).rejects.toThrow(/^apps\[0\]: no fixture app "no-such-fixture" in images\/apps \(known: .*plain/);
  });

  it("keys a cell by its own app's files, its config file and its environment only", async () => {
    const files = { "a/one.py": "app = 1\n", "b/two.py": "app = 2\n", "gunicorn.conf.py": "x = 1\n" };
    const s = await scenarioWith(
      'apps: [a/one.py, b/two.py]\ngunicornArgs: [[], ["--config", "gunicorn.conf.py"]]\nenv: [{}, { A: "1" }]\n',
      files,
    );
    const cells = expandCells(s, VERSIONS);
    const placed = await loadApps(s);
    const key = (c: (typeof cells)[number], apps = placed) =>
      cellKey({ cell: c, scenario: s, env: { image: "img" }, runtime: { name: "docker" }, code: "code", apps });
    const one = cells.find((c) => c.app === "one" && !c.gunicornArgs && !c.envVars) as (typeof cells)[number];
    expect(filesOfCell(one, s, placed).map((f) => f.path)).toEqual(["one/one.py", "one/_repro_matrix.py", "one/repro_matrix__one.py"]);
    const changed = (path: string) => placed.map((f) => (f.path === path ? { ...f, content: "changed" } : f));
    expect(key(one, changed("two/two.py"))).toBe(key(one));
    expect(key(one, changed("_config/gunicorn.conf.py"))).toBe(key(one));
    expect(key(one, changed("one/one.py"))).not.toBe(key(one));
    const withConfig = cells.find((c) => c.app === "one" && c.gunicornArgs && !c.envVars) as (typeof cells)[number];
    expect(key(withConfig, changed("_config/gunicorn.conf.py"))).not.toBe(key(withConfig));
    const withEnv = cells.find((c) => c.app === "one" && !c.gunicornArgs && c.envVars) as (typeof cells)[number];
    expect(key(withEnv)).not.toBe(key(one));
  });
});
