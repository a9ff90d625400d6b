/**
 * `tsx bench/load-comparison.ts [--matrix matrix.yaml] [--baseline results.json] [--cpu-hogs 4]`:
 * whether verdicts hold on a busy machine (issue #20). Runs the matrix twice with --force, first
 * as the machine is, then under `stress-ng --cpu N` (Debian's stress-ng), sampling the load
 * average every 5 s in both, and writes reports/load-comparison.md: cells with the same outcome
 * in both / cells in both, every cell that differs, wall times, load averages.
 *
 * With --baseline, the first run is skipped and that results.json stands for the idle machine
 * (e.g. the committed reports/uvicorn-85-preload/results.json; its cell keys may differ from
 * this harness's, so cells are matched by their axes and runtime, not by key). With --loaded, the
 * loaded run is one made before (under stress-ng, by this script or by hand) and only compared: its
 * wall time is its run's, and its load average, which nothing sampled, is left out.
 *
 * Heavy: the #85 matrix is 432 Docker cells; run it when the machine is otherwise quiet.
 */
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { type CellRecord, cellIdentity } from "../harness/cell/record.js";
import { readResultsFile } from "../harness/store/results-file.js";

export interface RunFigures {
  label: string;
  wallSeconds: number;
  load: { mean: number; max: number; samples: number };
  records: CellRecord[];
}

const args = () =>
  parseArgs({
    options: {
      matrix: { type: "string", default: "matrix.yaml" },
      baseline: { type: "string" },
      loaded: { type: "string" },
      "cpu-hogs": { type: "string", default: "4" },
      out: { type: "string", default: "reports/load-comparison.md" },
    },
  }).values;
type Args = ReturnType<typeof args>;

/** Load average (1 min) every 5 s while `work` runs. */
async function sampled<T>(work: () => Promise<T>): Promise<{ result: T; load: RunFigures["load"]; wallSeconds: number }> {
  const samples: number[] = [loadavg()[0] ?? 0];
  const timer = setInterval(() => samples.push(loadavg()[0] ?? 0), 5000);
  const start = performance.now();
  try {
    const result = await work();
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    return { result, load: { mean, max: Math.max(...samples), samples: samples.length }, wallSeconds: (performance.now() - start) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

/** Through the reader: a baseline from before results.json schema 6 is migrated as it is read. */
async function recordsOf(file: string): Promise<CellRecord[]> {
  const results = await readResultsFile(file);
  if (!results) throw new Error(`${file}: not a results file`);
  return results.cells;
}

/** The matrix through the CLI, as a user runs it, into a fresh folder. */
async function runMatrix(matrix: string, label: string): Promise<RunFigures> {
  const out = await mkdtemp(join(tmpdir(), `load-${label}-`));
  const { load, wallSeconds } = await sampled(() =>
    execa("node", ["bin/repro-matrix.js", "run", "--config", matrix, "--force", "--out", out, "--quiet"], { stdio: "inherit" }),
  );
  // The run writes into <out>/<scenario>/: the one folder there.
  const [scenario] = await readdir(out);
  return { label, wallSeconds, load, records: await recordsOf(join(out, scenario ?? "", "results.json")) };
}

/** The matrix again with `hogs` CPU-bound stress-ng workers running for its whole length. */
async function runLoaded(matrix: string, hogs: number): Promise<RunFigures> {
  const stress = execa("stress-ng", ["--cpu", String(hogs), "--timeout", "0"], { reject: false, stdio: "ignore" });
  try {
    // Let the load average climb before the first cell starts.
    await new Promise((r) => setTimeout(r, 60_000));
    return await runMatrix(matrix, `stress-ng-cpu-${hogs}`);
  } finally {
    stress.kill("SIGTERM");
    await stress;
  }
}

/** A run made before: its cells, and the wall time of its newest run entry. */
async function recordedRun(file: string, label: string): Promise<RunFigures> {
  const results = await readResultsFile(file);
  if (!results) throw new Error(`${file}: not a results file`);
  const wallMs = results.runs.at(-1)?.wallMs ?? 0;
  return { label, wallSeconds: wallMs / 1000, load: { mean: 0, max: 0, samples: 0 }, records: results.cells };
}

/** Per cell present in both (matched by axes and runtime): same outcome or not. */
export function compareRuns(idle: CellRecord[], loaded: CellRecord[]) {
  const before = new Map(idle.map((r) => [cellIdentity(r), r]));
  const both = loaded.filter((r) => before.has(cellIdentity(r)));
  const differ = both.filter((r) => before.get(cellIdentity(r))?.outcome !== r.outcome);
  const notes = loaded.filter((r) => (r.evidence.unreachedWorkers?.length ?? 0) > 0);
  return { both: both.length, same: both.length - differ.length, differ, before, notes };
}

export function markdown(idle: RunFigures, loaded: RunFigures, hogs: number): string {
  const c = compareRuns(idle.records, loaded.records);
  const row = (f: RunFigures) =>
    `| ${f.label} | ${f.records.length} | ${f.wallSeconds > 0 ? `${Math.round(f.wallSeconds)} s` : "—"} | ${f.load.samples > 0 ? `${f.load.mean.toFixed(1)} / ${f.load.max.toFixed(1)}` : "—"} |`;
  const lines = [
    "# Verdicts under load",
    "",
    `Generated by \`tsx bench/load-comparison.ts\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPUs; the load run adds \`stress-ng --cpu ${hogs}\` for its whole length. ${
      idle.load.samples === 0
        ? "The first run is a results file recorded before, on this machine without stress-ng (its cells' own runs, not one run of this script)."
        : "Other developers may share this machine: the first run is not idle, only not loaded on purpose."
    }`,
    "",
    `**${c.same}/${c.both} cells identical under load** (same outcome, cells matched by axes and runtime).`,
    "",
    "| run | cells | wall time | load average (1 min), mean / max |",
    "| --- | ---: | ---: | ---: |",
    row(idle),
    row(loaded),
    "",
    `Cells under load with a worker that booted but was never handed a connection (clean, with a note): ${c.notes.length}.`,
    "",
  ];
  if (c.differ.length > 0) {
    lines.push("| cell | first run | under load |", "| --- | --- | --- |");
    for (const r of c.differ) {
      const was = c.before.get(cellIdentity(r));
      lines.push(`| ${cellIdentity(r)} | ${was?.outcome}: ${was?.reason} | ${r.outcome}: ${r.reason} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

async function main(values: Args = args()) {
  const hogs = Number(values["cpu-hogs"]);
  const idle: RunFigures = values.baseline
    ? {
        label: `baseline ${values.baseline}`,
        wallSeconds: 0,
        load: { mean: 0, max: 0, samples: 0 },
        records: await recordsOf(values.baseline),
      }
    : await runMatrix(values.matrix, "as-is");
  const loaded: RunFigures = values.loaded
    ? await recordedRun(values.loaded, `stress-ng-cpu-${hogs}, recorded in ${values.loaded}`)
    : await runLoaded(values.matrix, hogs);
  await writeFile(resolve(values.out), markdown(idle, loaded, hogs));
  process.stdout.write(`${values.out} written\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
