import { describe, expect, it } from "vitest";
import { envKey, envOf } from "../../harness/cell/cell.js";
import { parseScenario } from "../../harness/config/load.js";
import { ConfigError } from "../../harness/core/errors.js";
import { expandCells } from "../../harness/plan/expand.js";
import { MINIMAL } from "../helpers/scenarios.js";

const errorOf = (text: string) => {
  try {
    parseScenario(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
};
/** MINIMAL with its apps line (line 8) replaced and lines added after it (line 10 on). */
const withApps = (apps: string, more = "") => `${MINIMAL.replace("apps: [plain]\n", `apps: ${apps}\n`)}${more}`;
const plus = (line: string) => `${MINIMAL}${line}\n`;

describe("apps: fixtures by name, the scenario's own by path", () => {
  it("reads a fixture's name, a path with or without its object, and the long form", () => {
    const s = parseScenario(
      withApps('[plain, "apps/plain_text.py:api", apps/health_app.py, { name: fw, path: "fw/main.py", object: "server.app" }]'),
      "/scenarios/demo.yaml",
    );
    expect(s.apps).toEqual([
      { name: "plain", object: "app" },
      { name: "plain-text", object: "api", path: "apps/plain_text.py" },
      { name: "health-app", object: "app", path: "apps/health_app.py" },
      { name: "fw", object: "server.app", path: "fw/main.py" },
    ]);
    // Paths are relative to the scenario file: the loader records its folder.
    expect(s.dir).toBe("/scenarios");
  });

  it("refuses what would make an id ambiguous or an app Gunicorn cannot import, one line naming the field", () => {
    expect(errorOf(withApps("[apps/a/main.py, apps/b/main.py]"))).toBe(
      "matrix.yaml:8: apps.1: a second app named main (apps[0]); give each app its own name",
    );
    expect(errorOf(withApps("[apps/plain-text.py]"))).toBe(
      "matrix.yaml:8: apps.0.path: the file's name must be a Python module's (letters, digits, underscores), such as plain_text.py",
    );
    expect(errorOf(withApps("[{ name: plain, object: api }]"))).toBe(
      "matrix.yaml:8: apps.0.object: a fixture's object is always app; give a path for an app of your own",
    );
    expect(errorOf(withApps("[{ name: Plain_Text, path: a.py }]"))).toBe(
      "matrix.yaml:8: apps.0.name: lowercase letters, digits and dashes, such as plain-text",
    );
    expect(errorOf(withApps('["apps/x.py:not an object"]'))).toMatch(/^matrix\.yaml:8: apps\.0\.object: a Python name in the module/);
  });
});

describe("requirements: the apps' own pinned dependencies", () => {
  it("are pinned requirements that are not package axes", () => {
    expect(parseScenario(plus('requirements: ["starlette==0.37.2", "fastapi[all] == 0.110.0"]')).requirements).toEqual([
      "starlette==0.37.2",
      "fastapi[all] == 0.110.0",
    ]);
    expect(errorOf(plus('requirements: ["starlette>=0.37"]'))).toMatch(
      /^matrix\.yaml:10: requirements\.0: a pinned requirement such as starlette==0\.37\.2/,
    );
    expect(errorOf(plus('requirements: ["Uvicorn==0.39.0"]'))).toBe(
      "matrix.yaml:10: requirements.0: uvicorn is a package axis (packages:); requirements are the app's other dependencies",
    );
  });

  it("go into every env, after the worker class's package, and into its key", async () => {
    const s = parseScenario(plus('requirements: ["starlette==0.37.2"]'));
    const envs = expandCells(s, { uvicorn: ["0.11.3", "0.11.4"], gunicorn: ["23.0.0"] }).map((c) => envOf(c, s));
    expect(new Set(envs.map((e) => e.requirements.join(" ")))).toEqual(new Set(["starlette==0.37.2"]));
    expect(envKey(envs[0] as (typeof envs)[number])).toBe("py3.9-uvicorn0.11.3-gunicorn23.0.0-starlette==0.37.2");
  });
});

describe("gunicornArgs: Gunicorn arguments as an axis", () => {
  it("is a list of argument lists; one list alone is one value; none by default", () => {
    expect(parseScenario(MINIMAL).gunicornArgs).toEqual([[]]);
    expect(parseScenario(plus('gunicornArgs: ["--graceful-timeout", "2"]')).gunicornArgs).toEqual([["--graceful-timeout", "2"]]);
    expect(parseScenario(plus('gunicornArgs: [[], ["--graceful-timeout", "2"], ["--config", "gunicorn.conf.py"]]')).gunicornArgs).toEqual([
      [],
      ["--graceful-timeout", "2"],
      ["--config", "gunicorn.conf.py"],
    ]);
  });

  it.each([
    ['["--bind", "0.0.0.0:80"]', "0", '"--bind" sets --bind'],
    ['["-w4"]', "0", '"-w4" sets -w'],
    ['["--timeout", "5", "--workers=2"]', "2", '"--workers=2" sets --workers'],
    ['["--pre"]', "0", '"--pre" sets --preload'],
    ['["-R", "-k", "sync"]', "1", '"-k" sets -k'],
    ['["-Rk", "sync"]', "0", '"-Rk" sets -k'],
    ['["--worker-class", "sync"]', "0", '"--worker-class" sets --worker-class'],
    ['["--chdir", "/"]', "0", '"--chdir" sets --chdir'],
    ['["--worker-tmp-dir", "/dev/shm"]', "0", '"--worker-tmp-dir" sets --worker-tmp-dir'],
    ['["--daemon"]', "0", '"--daemon" sets --daemon'],
    ['["-D"]', "0", '"-D" sets -D'],
  ])("refuses %s, an option the harness owns", (args, index, message) => {
    expect(errorOf(plus(`gunicornArgs: [${args}]`))).toBe(
      `matrix.yaml:10: gunicornArgs.0.${index}: ${message}, which the harness sets for every cell (use workers:, workerClasses:, preload: for those)`,
    );
  });

  it("lets through what only looks like an owned option", () => {
    const args = ["--worker-connections", "10", "-t", "5", "-e", "X=-w", "--backlog", "8", "--config=python:conf", "-n", "bw"];
    expect(parseScenario(plus(`gunicornArgs: [${JSON.stringify(args)}]`)).gunicornArgs).toEqual([args]);
  });

  it("takes a config file inside the scenario's folder, and refuses one outside it", () => {
    expect(errorOf(plus('gunicornArgs: [["--config", "../gunicorn.conf.py"]]'))).toBe(
      "matrix.yaml:10: gunicornArgs.0.1: a config file is a path inside the scenario's folder, relative to the scenario file, such as gunicorn.conf.py (not ../gunicorn.conf.py)",
    );
    expect(errorOf(plus('gunicornArgs: [["-c/etc/gunicorn.py"]]'))).toMatch(
      /^matrix\.yaml:10: gunicornArgs\.0\.0: a config file is a path inside/,
    );
    expect(errorOf(plus('gunicornArgs: [["--config"]]'))).toMatch(/^matrix\.yaml:10: gunicornArgs\.0\.1: a config file is a path inside/);
  });

  it("refuses a value given twice and arguments that are not strings", () => {
    expect(errorOf(plus('gunicornArgs: [["--timeout", "5"], ["--timeout", "5"]]'))).toBe(
      "matrix.yaml:10: gunicornArgs.1: the same as gunicornArgs[0]: each value makes its own cells",
    );
    expect(errorOf(plus("gunicornArgs: [[--timeout, 5]]"))).toBe(
      'matrix.yaml:10: gunicornArgs.0.1: an argument as a string (quote numbers: "2") (found 5)',
    );
  });
});

describe("env: the server's environment as an axis", () => {
  it("is a map (one value) or a list of maps; none by default", () => {
    expect(parseScenario(MINIMAL).env).toEqual([{}]);
    expect(parseScenario(plus('env: { PYTHONASYNCIODEBUG: "1" }')).env).toEqual([{ PYTHONASYNCIODEBUG: "1" }]);
    expect(parseScenario(plus('env: [{}, { MODE: "a b" }]')).env).toEqual([{}, { MODE: "a b" }]);
  });

  it.each([
    ['{ lower: "1" }', /^matrix\.yaml:10: env\.0\.lower: an environment variable's name: uppercase letters/],
    ['{ PATH: "/bin" }', /^matrix\.yaml:10: env\.0\.PATH: PATH is the harness's own \(PATH, HOME, LANG,/],
    ['{ REPRO_MATRIX_TRIAL: "2" }', /^matrix\.yaml:10: env\.0\.REPRO_MATRIX_TRIAL: REPRO_MATRIX_TRIAL is the harness's own/],
    [
      '{ GUNICORN_CMD_ARGS: "--preload" }',
      /^matrix\.yaml:10: env\.0\.GUNICORN_CMD_ARGS: GUNICORN_CMD_ARGS would change the cell's Gunicorn options unseen; use gunicornArgs:$/,
    ],
    ["{ DEBUG: 1 }", /^matrix\.yaml:10: env\.0\.DEBUG: a string \(quote numbers and booleans: "1"\) \(found 1\)$/],
    ['[{ A: "1" }, { A: "1" }]', /^matrix\.yaml:10: env\.1: the same as env\[0\]: each value makes its own cells$/],
  ])("refuses %s", (value, expected) => {
    expect(errorOf(plus(`env: ${value}`))).toMatch(expected);
  });
});
