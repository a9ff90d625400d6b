/**
 * `npm run bench [-- --versions RANGE]`: how fast the harness settles a claim on this machine,
 * printed as numbers and ratios and written to reports/bench.md. One Python (3.9), every release
 * in the range × preload on/off × both worker classes × the import-time-loop app, 8 workers:
 *
 * 1. cold: no recorded results (every cell runs; envs are built unless Docker already has them);
 * 2. warm: the same run again, nothing changed (cells reused, no server started);
 * 3. the #85 verdict by bisect over the same releases, against the sweep;
 * 4. a naive shell loop (docker run + pip install at container start + curl) on 10 of the cells.
 */

import { mkdtemp, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { runBisect } from "../harness/bisect/run-bisect.js";
import { parseScenario } from "../harness/config/load.js";
import { baseImageProvider } from "../harness/images/base-image.js";
import { APPS_DIR } from "../harness/run/fixtures.js";
import { runMatrix } from "../harness/run/run-matrix.js";
import { connectDocker } from "../harness/runtimes/docker-engine.js";
import type { CellRecord } from "../harness/store/record.js";

const { values } = parseArgs({
  options: { versions: { type: "string", default: ">=0.11,<0.14" }, naive: { type: "string", default: "10" } },
});
const RANGE = values.versions as string;
const NAIVE_CELLS = Number(values.naive);
const CACHE = resolve(process.env.REPRO_MATRIX_CACHE ?? ".cache");
const PROBES = 48;

const scenario = parseScenario(`scenario: bench-sweep
packages:
  uvicorn: "${RANGE}"
  gunicorn: 23.0.0
python:
  "3.9": { base: "debian:bullseye" }
resolution: { strategy: as-of-release, allowNewer: [uvloop, httptools] }
constraints: ["uvloop<0.22", "pip<24.1"]
packageExtras: { uvicorn: [standard] }
workerClasses: [uvicorn.workers.UvicornWorker, uvicorn.workers.UvicornH11Worker]
preload: [false, true]
workers: 8
apps: [import-time-loop]
probes: { count: ${PROBES}, concurrency: 8, coverageSeconds: 10 }
signatures: ["RuntimeError: Event loop is closed"]
timeouts: { bootSeconds: 60, cellSeconds: 150, stopSeconds: 10 }
claim: { text: "first fixed release: 0.11.4", firstFixed: 0.11.4, when: { preload: true } }
`);

const signal = new AbortController().signal;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : ((s[Math.floor((s.length - 1) / 2)] as number) + (s[Math.ceil((s.length - 1) / 2)] as number)) / 2;
};

/** Highest resident memory of this process while `work` runs. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakRss: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 250);
  try {
    const value = await work();
    return { value, peakRss: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
}

const out = await mkdtemp(join(tmpdir(), "repro-matrix-bench-"));
const sweep = () =>
  runMatrix({ scenario, runtime: "docker", outDir: out, cacheDir: CACHE, concurrency: 2, signal, onEvent: () => undefined });

process.stderr.write(`bench: cold sweep of uvicorn ${RANGE} …\n`);
const cold = await timed(() => withPeakRss(sweep));
const coldRun = cold.value.value.results.runs.at(-1);
const records = cold.value.value.records;
process.stderr.write("bench: warm sweep …\n");
const warm = await timed(sweep);
const warmRun = warm.value.results.runs.at(-1);

process.stderr.write("bench: bisect …\n");
const bisectLines: string[] = [];
const bisected = await timed(() =>
  runBisect({
    scenario,
    configFile: "(bench scenario)",
    where: "preload=true,workerClass=UvicornWorker,app=import-time-loop",
    package: "uvicorn",
    runtime: "docker",
    cacheDir: CACHE,
    crossCheck: false,
    signal,
    say: (l) => bisectLines.push(l),
  }),
);
const claimCells = records.filter((r) => r.preload && r.workerClass.endsWith(".UvicornWorker"));

process.stderr.write(`bench: naive baseline on ${NAIVE_CELLS} cells …\n`);
const docker = await connectDocker();
const { ref: base } = await baseImageProvider("debian:bullseye", CACHE).ensure(docker, signal);
const sample = records.filter((r) => r.outcome !== "install-failed").slice(0, NAIVE_CELLS);
const naive = await timed(() =>
  execa("bash", [
    "bench/naive-baseline.sh",
    base,
    APPS_DIR,
    String(PROBES),
    ...sample.map((r) => `${r.uvicorn}:${r.workerClass}:${r.preload}:${r.app}`),
  ]),
);
const naiveLines = naive.value.stdout.trim().split("\n").filter(Boolean);
const naivePerCell = naiveLines.map((l) => Number(l.split(" ")[1]));
// The same cells through the harness, cold: their own time plus their share of env builds.
const harnessPerCellCold = cold.ms / Math.max(1, records.length);
const sampleMedian = median(sample.map((r) => r.durationMs));

const phaseNames = ["start", "boot", "probe", "stop", "teardown"] as const;
const ran = records.filter((r): r is CellRecord & { phasesMs: Record<string, number> } => r.phasesMs !== undefined);
const medianCell = ran.sort((a, b) => a.durationMs - b.durationMs)[Math.floor(ran.length / 2)];
const now = new Date();
const lines = [
  "# Benchmark",
  "",
  `Run ${now.toISOString().slice(0, 16).replace("T", " ")} UTC on ${cpus().length} × ${cpus()[0]?.model.trim()} with ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}, \`npm run bench -- --versions "${RANGE}"\`.`,
  `Sweep: Python 3.9 · uvicorn ${RANGE} (${new Set(records.map((r) => r.uvicorn)).size} releases) × preload on/off × UvicornWorker/UvicornH11Worker × import-time-loop, 8 workers, ${PROBES} probes: ${records.length} cells.`,
  "",
  "| Measure | Value |",
  "| --- | --- |",
  `| Cold sweep (no recorded results) | ${seconds(cold.ms)} · ${((records.length / cold.ms) * 60_000).toFixed(1)} cells/min · envs built ${coldRun?.imagesBuilt}, reused ${coldRun?.imagesReused} |`,
  `| Warm sweep (nothing changed) | ${seconds(warm.ms)} · ${warmRun?.cellsReused}/${warmRun?.cells} cells reused, no server started |`,
  `| Cold ÷ warm | ${(cold.ms / warm.ms).toFixed(0)}× |`,
  `| Median cell that ran a server (env build excluded) | ${seconds(median(ran.map((r) => r.durationMs)))} (${ran.length} of ${records.length} cells; the rest could not be installed) |`,
  `| Median cell's phases | ${phaseNames.map((p) => `${p} ${seconds(medianCell?.phasesMs[p] ?? 0)}`).join(" · ")} |`,
  `| Harness peak resident memory (cold sweep) | ${Math.round(cold.value.peakRss / 1024 ** 2)} MB |`,
  `| #85 verdict by bisect | ${seconds(bisected.ms)}, ${bisected.value.result.tested} cells (bound 2·⌈log2 n⌉+4 = ${2 * Math.ceil(Math.log2(new Set(records.map((r) => r.uvicorn)).size)) + 4}) |`,
  `| #85 verdict by sweep | ${seconds(cold.ms)}, ${records.length} cells (${claimCells.length} in the claim's configuration) |`,
  `| Sweep ÷ bisect (cells) | ${(records.length / Math.max(1, bisected.value.result.tested)).toFixed(1)}× |`,
  `| Naive loop, per cell (${naiveLines.length} cells) | ${seconds(median(naivePerCell) * 1000)} median, ${seconds(naive.ms / Math.max(1, naiveLines.length))} mean |`,
  `| Harness, same cells, per cell | ${seconds(sampleMedian)} median (env built once, reused) · ${seconds(harnessPerCellCold)} cold sweep wall ÷ cells |`,
  `| Naive ÷ harness per cell | ${((median(naivePerCell) * 1000) / Math.max(1, sampleMedian)).toFixed(1)}× (medians) · ${(naive.ms / Math.max(1, naiveLines.length) / harnessPerCellCold).toFixed(1)}× (naive mean ÷ cold wall per cell) |`,
  "",
  "Bisect trail:",
  "",
  "```",
  ...bisectLines.filter(Boolean),
  "```",
  "",
  "Naive loop (cell, seconds, HTTP 200 answers):",
  "",
  "```",
  ...naiveLines,
  "```",
  "",
];
await writeFile("reports/bench.md", lines.join("\n"));
process.stdout.write(`${lines.join("\n")}\n`);
