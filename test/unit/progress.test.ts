import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { EnvSpec } from "../../harness/cell/cell.js";
import type { CellRecord } from "../../harness/cell/record.js";
import type { RunEvent } from "../../harness/report/events.js";
import { Progress, shortDuration } from "../../harness/report/progress.js";
import { plainReporter } from "../../harness/report/progress-plain.js";
import { liveBlock, ttyReporter } from "../../harness/report/progress-tty.js";
import { progressReporter, wantsLiveDisplay } from "../../harness/report/terminal.js";
import { record } from "../helpers/records.js";

/** A stream that keeps what is written; `tty` makes it look like a terminal. */
function sink(tty = false) {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  Object.assign(out, tty ? { isTTY: true, columns: 100, rows: 20 } : {});
  return { out: out as Writable & { isTTY?: boolean; columns?: number; rows?: number }, text: () => chunks.join("") };
}

/** A clock the test moves by hand. */
function clock() {
  let t = 0;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

const spec = (uvicorn: string): EnvSpec => ({
  python: "3.9",
  base: "debian:bullseye",
  packages: [
    { name: "uvicorn", version: uvicorn },
    { name: "gunicorn", version: "23.0.0" },
  ],
  requirements: [],
  onlyBinary: [],
  constraints: [],
  resolution: { strategy: "latest", anchor: "uvicorn", allowNewer: [] } as unknown as EnvSpec["resolution"],
  index: undefined as unknown as EnvSpec["index"],
});

const cell = (uvicorn: string, over: Partial<CellRecord> = {}) => record({ uvicorn, ...over });

const finished = (info: Partial<Extract<RunEvent, { type: "run-finished" }>["info"]> = {}): RunEvent => ({
  type: "run-finished",
  info: {
    startedAt: "2026-11-25T10:00:00.000Z",
    wallMs: 62_000,
    cells: 4,
    cellsReused: 2,
    imagesBuilt: 1,
    imagesReused: 1,
    runtime: "docker",
    completed: true,
    ...info,
  },
  counts: { clean: 3, reproduced: 1 },
  reportDir: "reports/demo",
  changes: ["new: Python 3.9 · uvicorn 0.11.4: Fixed"],
  dropped: [],
});

/** A run of four cells in two envs: 0.11.3's env is built and runs two cells, 0.11.4's two cells are reused. */
const RUN: [advanceMs: number, event: RunEvent][] = [
  [0, { type: "run-started", total: 4, envs: 2, runId: "r1", runtime: "docker", note: "no Docker engine answers: …" }],
  [0, { type: "env-started", key: "k3", spec: spec("0.11.3") }],
  [0, { type: "env-started", key: "k4", spec: spec("0.11.4") }],
  [0, { type: "env-ready", key: "k4", ok: true, imageBuilt: false }],
  [0, { type: "cell-finished", record: cell("0.11.4"), done: 1, total: 4, reused: true }],
  [0, { type: "cell-finished", record: cell("0.11.4", { app: "lifespan" }), done: 2, total: 4, reused: true }],
  [34_000, { type: "env-ready", key: "k3", ok: true, imageBuilt: true }],
  [0, { type: "cell-started", cell: cell("0.11.3") }],
  [3_000, { type: "cell-finished", record: cell("0.11.3", { durationMs: 3000 }), done: 3, total: 4 }],
  [0, { type: "cell-started", cell: cell("0.11.3", { app: "lifespan" }) }],
  [
    2_000,
    {
      type: "cell-finished",
      record: cell("0.11.3", { app: "lifespan", outcome: "reproduced", reason: "signature in probe logs", durationMs: 2000 }),
      done: 4,
      total: 4,
    },
  ],
  [0, finished()],
];

/** Feeds the run's events to a reporter, moving the clock between them as the run would. */
function play(c: ReturnType<typeof clock>, onEvent: (e: RunEvent) => void): void {
  for (const [advanceMs, event] of RUN) {
    c.advance(advanceMs);
    onEvent(event);
  }
}

describe("plain progress (CI logs, pipes)", () => {
  it("prints one line per cell that ran, envs built, reused cells only in the last line, and ends with a newline", () => {
    const c = clock();
    const { out, text } = sink();
    const reporter = plainReporter(out, new Progress(c.now));
    play(c, reporter.onEvent);
    expect(text()).toBe(
      [
        "no Docker engine answers: …",
        "run r1: 4 cells in 2 environments on the docker runtime",
        "env py3.9 uvicorn 0.11.3 gunicorn 23.0.0: built in 34 s",
        "[3/4] clean          py3.9 uvicorn 0.11.3 gunicorn 23.0.0 UvicornWorker --preload plain -w 8 (3.0 s): 48/48 × 200 from 8/8 workers",
        "[4/4] reproduced     py3.9 uvicorn 0.11.3 gunicorn 23.0.0 UvicornWorker --preload lifespan -w 8 (2.0 s): signature in probe logs",
        "done: 4 cells (3 clean, 1 reproduced; 2 reused, no server started) in 62.0 s; docker envs built 1, reused 1; report reports/demo/README.md",
        "  new: Python 3.9 · uvicorn 0.11.4: Fixed",
        "",
      ].join("\n"),
    );
  });

  it("says an env that could not be built, with its reason", () => {
    const c = clock();
    const { out, text } = sink();
    const reporter = plainReporter(out, new Progress(c.now));
    reporter.onEvent({ type: "env-started", key: "k", spec: spec("0.2.0") });
    c.advance(5_000);
    reporter.onEvent({ type: "env-ready", key: "k", ok: false, imageBuilt: false, reason: "no wheel for Python 3.9" });
    expect(text()).toBe("env py3.9 uvicorn 0.2.0 gunicorn 23.0.0: install-failed in 5 s: no wheel for Python 3.9\n");
  });

  it("is what a pipe or CI gets; a terminal outside CI gets the live display", () => {
    const terminal = { isTTY: true, columns: 100, rows: 30 };
    expect(wantsLiveDisplay({ ...terminal, isTTY: false }, {})).toBe(false);
    expect(wantsLiveDisplay(terminal, {})).toBe(true);
    expect(wantsLiveDisplay(terminal, { CI: "true" })).toBe(false);
    expect(wantsLiveDisplay(terminal, { CI: "false" })).toBe(true);
    expect(wantsLiveDisplay(terminal, { TERM: "dumb" })).toBe(false);
    // A pty with no size (script(1) without a terminal): every character would wrap onto a line of its own.
    expect(wantsLiveDisplay({ ...terminal, columns: 0, rows: 0 }, {})).toBe(false);
  });

  it("--quiet prints no progress, only notices", () => {
    const c = clock();
    const { out, text } = sink();
    using reporter = progressReporter(out, { quiet: true });
    play(c, reporter.onEvent);
    reporter.notice("interrupted: stopping servers");
    expect(text()).toBe("interrupted: stopping servers\n");
  });
});

describe("progress counts", () => {
  it("rates and estimates from the cells that ran a server, not the reused ones", () => {
    const c = clock();
    const p = new Progress(c.now);
    p.apply({ type: "run-started", total: 10, envs: 1, runId: "r", runtime: "docker" });
    p.apply({ type: "cell-finished", record: cell("0.1"), done: 1, total: 10, reused: true });
    expect(p.ratePerMinute()).toBeUndefined();
    expect(p.statusLine()).toBe("[1/10] 10% · 0 s elapsed · 1 reused");
    c.advance(60_000);
    p.apply({ type: "cell-finished", record: cell("0.2"), done: 2, total: 10 });
    p.apply({ type: "cell-finished", record: cell("0.3"), done: 3, total: 10 });
    // 2 cells ran in a minute: the 7 left take 3.5 minutes at that rate.
    expect(p.ratePerMinute()).toBe(2);
    expect(p.etaMs()).toBe(210_000);
    expect(p.statusLine()).toBe("[3/10] 30% · 2.0 cells/min · ETA 3m30s · 1m00s elapsed · 1 reused");
  });

  it("writes durations short", () => {
    expect([0, 42_400, 245_000, 3_725_000].map(shortDuration)).toEqual(["0 s", "42 s", "4m05s", "1h02m"]);
  });
});

describe("live progress (a terminal)", () => {
  it("shows every cell running and every env in preparation, with their times, cut to the terminal", () => {
    const c = clock();
    const p = new Progress(c.now);
    expect(liveBlock(p, 100, 20)).toEqual(["preparing the run: versions from the index, the runtime · 0 s"]);
    p.apply({ type: "run-started", total: 8, envs: 2, runId: "r", runtime: "docker" });
    p.apply({ type: "env-started", key: "k2", spec: spec("0.11.4") });
    p.apply({ type: "cell-started", cell: cell("0.11.3") });
    c.advance(5_000);
    p.apply({ type: "cell-started", cell: cell("0.11.3", { app: "lifespan" }) });
    c.advance(2_000);
    expect(liveBlock(p, 100, 20)).toEqual([
      "[0/8] 0% · 7 s elapsed",
      "  running   py3.9 uvicorn 0.11.3 gunicorn 23.0.0 UvicornWorker --preload plain -w 8 · 7 s",
      "  running   py3.9 uvicorn 0.11.3 gunicorn 23.0.0 UvicornWorker --preload lifespan -w 8 · 2 s",
      "  env       py3.9 uvicorn 0.11.4 gunicorn 23.0.0 · preparing 7 s",
    ]);
    // A narrow, short terminal: lines cut, and what does not fit counted.
    expect(liveBlock(p, 40, 4)).toEqual(["[0/8] 0% · 7 s elapsed", "  running   py3.9 uvicorn 0.11.3 gunic…", "  … and 2 more"]);
  });

  it("redraws in place, keeps the lines that matter, and ends on a fresh line", () => {
    const c = clock();
    const { out, text } = sink(true);
    const reporter = ttyReporter(out, new Progress(c.now));
    play(c, reporter.onEvent);
    reporter[Symbol.dispose]();
    const written = text();
    expect(written).toContain("\u001B["); // cursor moves: the block is redrawn, not appended
    expect(written).toContain("env py3.9 uvicorn 0.11.3 gunicorn 23.0.0: built in 34 s\n");
    expect(written).toContain("[4/4] reproduced     py3.9 uvicorn 0.11.3 gunicorn 23.0.0");
    expect(written).not.toContain("[3/4] clean"); // clean cells only move the counter
    expect(written).toContain("ETA");
    expect(written.endsWith("  new: Python 3.9 · uvicorn 0.11.4: Fixed\n")).toBe(true);
  });
});
