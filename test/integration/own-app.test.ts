import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cellId, cellLabel } from "../../harness/cell/cell.js";
import type { CellRecord } from "../../harness/cell/record.js";
import { parseScenario } from "../../harness/config/load.js";
import { expandCells } from "../../harness/plan/expand.js";
import { parseOnly } from "../../harness/plan/filter.js";
import { rerunCommand } from "../../harness/report/rerun-command.js";
import { readResultsFile } from "../../harness/store/results-file.js";
import { BIN, CACHE_DIR, itScenario, runScenario, tempDir } from "../helpers/harness.js";
import { makeWheel } from "../helpers/local-wheel.js";

// Apps written here, as a user writes them next to their scenario: real containers, real
// uvicorn and Gunicorn from PyPI, a real framework. The harness must count the workers that
// served whatever the app answers, and call a healthy app clean.

/** An ASGI 3 app that answers 200 in plain text, and says in its log which process imported it. */
const PLAIN_TEXT_APP = `import os
# One write per line: workers importing at once share the pipe, and print's pieces would interleave.
os.write(1, ("imported plain_text in %d GREETING=%s\\n" % (os.getpid(), os.environ.get("GREETING", "-"))).encode())


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello, world"})
`;

const write = async (dir: string, files: Record<string, string>) => {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
};

/**
 * A private package's wheels, made once and kept in the cache: a wheel made again differs in its
 * zip timestamps, so each run would otherwise build its envs anew rather than reuse them.
 */
async function privateWheels(): Promise<string> {
  const folder = join(CACHE_DIR, "test-wheels", "rmprobe");
  const made = await readdir(folder).catch(() => []);
  if (made.length === 2) return folder;
  const scratch = await tempDir("wheels");
  await makeWheel(scratch, "rmprobe", "1.0.0");
  await makeWheel(scratch, "rmprobe", "1.1.0");
  await mkdir(join(folder, ".."), { recursive: true });
  await rm(folder, { recursive: true, force: true });
  await rename(scratch, folder).catch(() => cp(scratch, folder, { recursive: true }));
  return folder;
}

/** The app's import lines in a cell's log: which processes imported the module, and when. */
const importers = (r: CellRecord) =>
  r.evidence.logTail.filter((l) => l.text.startsWith("imported plain_text in")).map((l) => Number(l.text.split(" ")[3]));

describe("a plain-text app of the user's, with a private package as the axis", () => {
  it("is clean in every cell, every worker counted, and the table says Fixed per version of that package", async () => {
    const dir = await tempDir("own-app");
    const wheels = await privateWheels();
    await write(dir, { "apps/plain_text.py": PLAIN_TEXT_APP });
    const file = join(dir, "matrix.yaml");
    const run = await runScenario(
      itScenario(
        "it-own-app",
        `packages:
  uvicorn: [0.39.0]
  gunicorn: 23.0.0
  rmprobe: all
index: { findLinks: ["${wheels}"] }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false, true]
workers: 3
apps: ["apps/plain_text.py:app"]
claim: { text: "rmprobe 1.1.0 fixed it", package: rmprobe, firstFixed: "1.1.0" }
`,
        "3.11",
      ),
      join(dir, "out"),
      { file },
    );
    expect(run.records).toHaveLength(4);
    for (const r of run.records) {
      expect(r.outcome, `${cellLabel(r)}: ${r.reason}`).toBe("clean");
      expect(r.app).toBe("plain-text");
      expect(r.evidence.pidsServed).toHaveLength(3);
      expect(r.evidence.packages).toContain(`rmprobe==${r.packages.rmprobe}`);
      // The wrapper kept Gunicorn's import timing: with --preload the master imported the app
      // once (a process that served nothing); without it each worker imported it itself.
      const imported = importers(r);
      if (r.preload) {
        expect(imported).toHaveLength(1);
        expect(r.evidence.pidsServed).not.toContain(imported[0]);
      } else expect([...imported].sort()).toEqual([...r.evidence.pidsServed].sort());
    }
    const readme = await readFile(join(dir, "out", "it-own-app", "README.md"), "utf8");
    expect(readme).toContain("Status per rmprobe version over all cells");
    expect(readme).toMatch(/^\| 1\.0\.0 \| Fixed \(2\/2 cells clean\) \|$/m);
    expect(readme).toMatch(/^\| 1\.1\.0 \| Fixed \(2\/2 cells clean\) \|$/m);
    expect(readme).toMatch(/^\| rmprobe \| UvicornWorker<br>no preload<br>plain-text \|/m);
    // A configuration spans the claim's package: its label never names one of its versions.
    expect(readme).toContain("- **Python 3.11 · UvicornWorker · --preload · plain-text**:");
    expect(readme).not.toMatch(/\*\*[^*\n]*rmprobe[^*\n]*\*\*: /);
  }, 900_000);
});

describe("a framework app and an app whose probe path is not /", () => {
  it("are clean: a pinned Starlette app (its lifespan passed through) and an app that answers 404 on /", async () => {
    const dir = await tempDir("framework-app");
    await write(dir, {
      "starlette_app/main.py": `import contextlib, os
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


@contextlib.asynccontextmanager
async def lifespan(app):
    os.write(1, b"lifespan startup in %d\\n" % os.getpid())
    yield


async def health(request):
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/health", health)], lifespan=lifespan)
`,
      "health/health_app.py": `async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    status, body = (200, b"ok") if scope["path"] == "/health" else (404, b"not found")
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})
`,
    });
    const run = await runScenario(
      itScenario(
        "it-framework-app",
        `packages:
  uvicorn: [0.39.0]
  gunicorn: 23.0.0
requirements: ["starlette==0.37.2"]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps:
  - { name: starlette, path: starlette_app/main.py, object: app }
  - health/health_app.py
`,
        "3.11",
      ).replace("probes: { count: 16,", "probes: { path: /health, count: 16,"),
      join(dir, "out"),
      { file: join(dir, "matrix.yaml") },
    );
    const byApp = new Map(run.records.map((r) => [r.app, r]));
    expect([...byApp.keys()].sort()).toEqual(["health-app", "starlette"]);
    for (const r of run.records) {
      expect(r.outcome, `${r.app}: ${r.reason}`).toBe("clean");
      expect(r.evidence.pidsServed).toHaveLength(2);
      // The app's requirement is in the env (and its lock), but it is not an axis.
      expect(r.evidence.packages).toContain("starlette==0.37.2");
      expect(Object.keys(r.packages).sort()).toEqual(["gunicorn", "uvicorn"]);
    }
    const starlette = byApp.get("starlette") as CellRecord;
    expect(starlette.evidence.logTail.filter((l) => l.text.startsWith("lifespan startup in"))).toHaveLength(2);
    expect(starlette.command.at(-1)).toBe("repro_matrix__main:app");
    expect(starlette.command).toContain("/app/starlette");
  }, 900_000);
});

describe("an ASGI 2 app on a uvicorn of 2018", () => {
  // On the local runtime: the same server and probes, on a venv (the 2018 env's image would be
  // built for this test alone).
  it("is clean: the wrapper keeps the class-based interface uvicorn 0.2 serves", async () => {
    const dir = await tempDir("asgi2-app");
    await write(dir, {
      "asgi2.py": `class App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [[b"content-type", b"text/plain"]]})
        await send({"type": "http.response.body", "body": b"old school"})
`,
    });
    const run = await runScenario(
      itScenario(
        "it-asgi2-app",
        `packages:
  uvicorn: [0.2.5]
  gunicorn: 23.0.0
resolution: { strategy: as-of-release, allowNewer: [uvloop, httptools] }
constraints: ["uvloop<0.22"]
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: ["asgi2.py:App"]
`,
      ),
      join(dir, "out"),
      { file: join(dir, "matrix.yaml"), runtime: "local" },
    );
    const [r] = run.records;
    expect(r?.outcome, r?.reason).toBe("clean");
    expect(r?.evidence.pidsServed).toHaveLength(2);
  }, 900_000);
});

describe("Gunicorn arguments and environment as axes", () => {
  it("run as asked, and appear in ids, labels, --only filters, the report and the rerun command", async () => {
    const dir = await tempDir("args-env");
    await write(dir, {
      "apps/plain_text.py": PLAIN_TEXT_APP,
      "gunicorn.conf.py": `def when_ready(server):
    print("config file read: proc", server.proc_name, flush=True)


proc_name = "rm-config-demo"
`,
    });
    const file = join(dir, "matrix.yaml");
    const text = itScenario(
      "it-args-env",
      `packages:
  uvicorn: [0.39.0]
  gunicorn: 23.0.0
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [apps/plain_text.py]
gunicornArgs: [[], ["--config", "gunicorn.conf.py"]]
env: [{}, { GREETING: "hi there" }]
`,
      "3.11",
    );
    await writeFile(file, text);
    const out = join(dir, "out");
    const run = await runScenario(text, out, { file });
    expect(run.records).toHaveLength(4);
    for (const r of run.records) {
      expect(r.outcome, `${cellLabel(r)}: ${r.reason}`).toBe("clean");
      const logs = r.evidence.logTail.map((l) => l.text);
      // The config file was placed next to the app and Gunicorn read it; the variable reached the app.
      expect(logs.some((t) => t === "config file read: proc rm-config-demo")).toBe(Boolean(r.gunicornArgs));
      expect(logs.filter((t) => t.endsWith(`GREETING=${r.envVars?.GREETING ?? "-"}`))).toHaveLength(2);
    }
    const both = run.records.find((r) => r.gunicornArgs && r.envVars) as CellRecord;
    expect(cellId(both)).toBe(
      "py3.11~uvicorn0.39.0~gunicorn23.0.0~uvicorn.workers.UvicornWorker~no-preload~plain-text~w2~args:--config+gunicorn.conf.py~env:GREETING=hi%20there",
    );
    expect(cellLabel(both)).toBe(
      'py3.11 uvicorn 0.39.0 gunicorn 23.0.0 UvicornWorker no-preload plain-text -w 2 --config gunicorn.conf.py env GREETING="hi there"',
    );
    const plain = run.records.find((r) => !r.gunicornArgs && !r.envVars) as CellRecord;
    expect(cellId(plain)).toBe("py3.11~uvicorn0.39.0~gunicorn23.0.0~uvicorn.workers.UvicornWorker~no-preload~plain-text~w2");
    expect(both.command).toContain("/app/_config/gunicorn.conf.py");

    // --only selects by either axis, as ids write them ("gunicornArgs=" is no arguments).
    const cells = expandCells(parseScenario(text, file), { uvicorn: ["0.39.0"], gunicorn: ["23.0.0"] });
    const ids = (only: string) => cells.filter(parseOnly(only, ["uvicorn", "gunicorn"])).map(cellId);
    expect(ids("gunicornArgs=--config+gunicorn.conf.py env=GREETING=hi%20there")).toEqual([cellId(both)]);
    expect(ids("gunicornArgs= env=")).toEqual([cellId(plain)]);
    expect(ids("gunicornArgs=--config+gunicorn.conf.py")).toHaveLength(2);

    // The report groups the grid by them, the HTML filters on them.
    const readme = await readFile(join(out, "it-args-env", "README.md"), "utf8");
    expect(readme).toContain("### Python 3.11 · gunicorn 23.0.0 · 2 workers · `--config gunicorn.conf.py` · env `GREETING=hi%20there`");
    const html = await readFile(join(out, "it-args-env", "index.html"), "utf8");
    expect(html).toContain('<select id="filter-gunicornArgs" data-axis="gunicornArgs">');
    expect(html).toContain('<select id="filter-env" data-axis="env">');

    // The report's rerun command reruns exactly that cell, arguments and environment included.
    const command = rerunCommand(both, file);
    expect(command).toContain(`--only '${cellId(both)}'`);
    const args = [...command.replace(/^npx repro-matrix /, "").matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
    const again = await execa("node", [BIN, ...args, "--out", join(dir, "again")], {
      reject: false,
      env: { REPRO_MATRIX_CACHE: CACHE_DIR },
    });
    expect(again.exitCode, again.stderr).toBe(0);
    const rerun = await readResultsFile(join(dir, "again", "it-args-env", "results.json"));
    expect(rerun?.cells.map(cellId)).toEqual([cellId(both)]);
    expect(rerun?.cells[0]?.outcome).toBe("clean");

    // And the config file's path works on the local runtime too.
    const local = await runScenario(text, join(dir, "local"), {
      file,
      runtime: "local",
      only: "gunicornArgs=--config+gunicorn.conf.py env=",
    });
    expect(
      local.records.map((r) => [r.outcome, r.evidence.logTail.some((l) => l.text === "config file read: proc rm-config-demo")]),
    ).toEqual([["clean", true]]);
  }, 900_000);
});
