/**
 * `npm run bench [-- --versions RANGE] [--keep-envs]`: how fast the harness settles a claim on
 * this machine, printed as numbers and ratios and written to reports/bench.md. The sweep is
 * scenarios/full-sweep.yaml (its own range, every uvicorn release from 0.2.0, or RANGE), each
 * release on its era Python (pythonPolicy: era):
 *
 * 1. cold: no recorded results, and no env images, build-failure records or locks either (they
 *    are removed first unless --keep-envs; base images and downloaded files stay); each env's
 *    build time is read from the run's results;
 * 2. warm: the same run again, nothing changed (cells reused, no server started);
 * 3. the #85 verdict by bisect over the same releases, against the sweep;
 * 4. a naive shell loop (docker run + pip install of the cell's lock at container start + curl) on 10 of the cells,
 *    and the harness on the same cells with --force;
 * 5. all cells of 5 of those envs, run in a container kept per env and with --container-per-cell;
 * 6. first, before any of those: how long `repro-matrix --help` takes to answer, compiled and through tsx.
 *
 * The sweeps and the same-cells run are the CLI, a fresh process each, as a user runs it: its wall
 * time is theirs, and its peak memory is the harness's alone (not this script's).
 */

import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { compare, gte, lt } from "@renovatebot/pep440";
import { execa } from "execa";
import { parse, stringify } from "yaml";
import { chooseEntry } from "../bin/entry.js";
import { runBisect } from "../harness/bisect/run-bisect.js";
import { cellId } from "../harness/cell/cell.js";
import type { CellRecord } from "../harness/cell/record.js";
import { parseScenario } from "../harness/config/load.js";
import { normalizeName } from "../harness/core/package-name.js";
import { BUILD_TOOLS } from "../harness/envs/lock.js";
import { APPS_DIR } from "../harness/run/fixtures.js";
import { baseImageProvider } from "../harness/runtimes/docker/base-image-provider.js";
import { connectDocker } from "../harness/runtimes/docker/docker-engine.js";
import { ENV_REPO, SHARED_REPO, WHEEL_REPO } from "../harness/runtimes/docker/env-image.js";
import { removeCachedImages } from "../harness/runtimes/docker/reaper.js";
import { type ResultsFile, readResultsFile } from "../harness/store/results-file.js";

const { values } = parseArgs({
  options: {
    versions: { type: "string" },
    naive: { type: "string", default: "10" },
    "keep-envs": { type: "boolean", default: false },
  },
});
const NAIVE_CELLS = Number(values.naive);
/** Cells at once in every harness phase: the CLI's default on this 2-core machine, named so it holds anywhere. */
const CONCURRENCY = 2;
const CACHE = resolve(process.env.REPRO_MATRIX_CACHE ?? ".cache");

const SCENARIO_FILE = "scenarios/full-sweep.yaml";
const sweepConfig = parse(await readFile(SCENARIO_FILE, "utf8")) as { packages: Record<string, unknown>; probes: { count: number } };
/** The scenario's own range unless --versions narrows it; the committed reports are of the former. */
const OWN_RANGE = String(sweepConfig.packages.uvicorn);
const RANGE = values.versions ?? OWN_RANGE;
sweepConfig.packages.uvicorn = RANGE;
const scenario = parseScenario(stringify(sweepConfig), SCENARIO_FILE);
const PROBES = sweepConfig.probes.count;
const SCENARIO_TEXT = stringify(sweepConfig);

const signal = new AbortController().signal;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : ((s[Math.floor((s.length - 1) / 2)] as number) + (s[Math.ceil((s.length - 1) / 2)] as number)) / 2;
};

/**
 * Runs the harness as users do, one CLI process per phase (so no phase reuses what an earlier one
 * fetched), and returns its wall time and its peak resident memory as the kernel counted it.
 */
async function harnessCli(args: string[]): Promise<{ peakRssMb: number; ms: number; stderr: string }> {
  const t0 = performance.now();
  const run = await execa(process.execPath, ["--import", "./bench/peak-rss.mjs", "bin/repro-matrix.js", ...args], {
    env: { REPRO_MATRIX_CACHE: CACHE },
    reject: false,
  });
  const ms = performance.now() - t0;
  if (run.exitCode !== 0)
    throw new Error(
      `repro-matrix ${args.join(" ")} ended ${run.signal ?? `with exit code ${run.exitCode}`}: ${run.stderr.split("\n").slice(-5).join("\n")}`,
    );
  const peakKb = Number(/peak-rss-kb (\d+)/.exec(run.stderr)?.[1]);
  if (!Number.isFinite(peakKb)) throw new Error(`repro-matrix ${args.join(" ")} printed no peak memory (bench/peak-rss.mjs)`);
  return { peakRssMb: peakKb / 1024, ms, stderr: run.stderr };
}

/** CPU time the whole machine has spent busy since boot (/proc/stat, every core), in seconds. */
async function busyCpuSeconds(): Promise<number> {
  const fields = (await readFile("/proc/stat", "utf8")).split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / 100;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
}

/**
 * The CLI's start as a user waits for it: `repro-matrix --help`, a fresh process each time, the
 * median of `runs`; compiled (built first, as npm ci does) and, to compare, from the sources via tsx.
 */
async function startTimes(runs = 20): Promise<{ compiledMs: number; tsxMs: number }> {
  await execa("npm", ["run", "build"]);
  if (chooseEntry().kind !== "compiled") throw new Error("bench: after npm run build, bin would still run the sources");
  const startMs = async (env: Record<string, string>) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push((await timed(() => execa(process.execPath, ["bin/repro-matrix.js", "--help"], { env }))).ms);
    return median(times);
  };
  return { compiledMs: await startMs({}), tsxMs: await startMs({ REPRO_MATRIX_TSX: "1" }) };
}

// First, on a machine the bench has not loaded yet.
process.stderr.write("bench: CLI start …\n");
const start = await startTimes();

const out = await mkdtemp(join(tmpdir(), "repro-matrix-bench-"));
const docker = await connectDocker();
// The committed scenario itself when its range is benched, so the report's rerun commands name it.
const configFile = RANGE === OWN_RANGE ? SCENARIO_FILE : join(out, "full-sweep.yaml");
if (configFile !== SCENARIO_FILE) await writeFile(configFile, SCENARIO_TEXT);
const readResults = async (dir: string): Promise<ResultsFile> => {
  const file = join(dir, scenario.scenario, "results.json");
  const r = await readResultsFile(file);
  if (!r) throw new Error(`bench: ${file}: no results`);
  return r;
};

/** Cold means every env is built and every lock resolved again: only base images and downloads stay. */
async function forgetEnvs(): Promise<number> {
  const removed = await removeCachedImages(docker, [ENV_REPO, WHEEL_REPO, SHARED_REPO]);
  for (const dir of ["build-failures", "locks", "freezes"]) await rm(join(CACHE, dir), { recursive: true, force: true });
  return removed;
}

if (!values["keep-envs"]) process.stderr.write(`bench: removed ${await forgetEnvs()} env images, build-failure records and locks\n`);
const runArgs = (outDir: string) => [
  "run",
  "--config",
  configFile,
  "--out",
  outDir,
  "--runtime",
  "docker",
  "--concurrency",
  String(CONCURRENCY),
];

process.stderr.write(`bench: cold sweep of uvicorn ${RANGE} …\n`);
// What the whole machine spent on the cold sweep (env builds, servers, engine, harness): over its
// cores, the least wall time the same work can take however it is scheduled.
const coldCpuBefore = await busyCpuSeconds();
const cold = await harnessCli(runArgs(out));
const coldCpu = (await busyCpuSeconds()) - coldCpuBefore;
const coldResults = await readResults(out);
const coldRun = coldResults.runs.at(-1);
const records = coldResults.cells;
process.stderr.write("bench: warm sweep …\n");
const warm = await harnessCli(runArgs(out));
// A run that only reused recorded cells adds no entry to results.json (it verified nothing): its counts are in what it printed.
const warmDone = /done: (\d+) cells \(.*?(?:; (\d+) reused, no server started)?\)/.exec(warm.stderr);
const warmRun = warmDone ? { cells: Number(warmDone[1]), cellsReused: Number(warmDone[2] ?? 0) } : undefined;
// The whole sweep is also the report users read (reports/full-sweep), written by the cold run
// (the warm run only re-rendered it: its cells and dates are the cold run's).
if (RANGE === OWN_RANGE) await cp(join(out, scenario.scenario), join("reports", scenario.scenario), { recursive: true, force: true });

process.stderr.write("bench: bisect …\n");
const bisectLines: string[] = [];
const bisected = await timed(() =>
  runBisect({
    scenario,
    configFile,
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
/** The bare base image of each Python the sweep ran (the naive loop installs onto it at container start). */
const baseOf = new Map<string, string>();
for (const python of new Set(records.map((r) => r.python))) {
  const settings = scenario.python[python];
  if (settings) baseOf.set(python, (await baseImageProvider(settings.base, CACHE, python).ensure(docker, signal)).ref);
}
// Cells whose servers came up and were probed, spread over the sweep: the oldest installable
// releases never serve, and a loop that only waits for a boot to fail compares nothing.
// In release order (results.json lists cells as they finished, which the schedule decides), so
// every run of the bench samples the same cells.
const served = records
  .filter((r) => r.outcome === "clean" || r.outcome === "reproduced" || r.outcome === "other-failure")
  .sort((a, b) => compare(a.packages.uvicorn ?? "", b.packages.uvicorn ?? "") || cellId(a).localeCompare(cellId(b)));
const sample = Array.from(
  { length: Math.min(NAIVE_CELLS, served.length) },
  (_, k) => served[Math.floor((k * served.length) / NAIVE_CELLS)] as CellRecord,
);
/** The venv's own tools, which the naive venv brings itself (pkg_resources is Debian's stand-in in pip freeze). */
const VENV_TOOLS = new Set([...BUILD_TOOLS, "pkg_resources"].map(normalizeName));
/** The cell's lock as pip pins, less the venv's own tools. */
const naivePins = (r: CellRecord) => r.evidence.packages.filter((p) => !VENV_TOOLS.has(normalizeName(p.split("==")[0] ?? "")));
const naive = await timed(() =>
  execa("bash", [
    "bench/naive-baseline.sh",
    APPS_DIR,
    String(PROBES),
    String(scenario.timeouts.requestSeconds),
    String(scenario.timeouts.bootSeconds),
    String(scenario.timeouts.cellSeconds),
    ...sample.map((r) => `${baseOf.get(r.python)}|${r.packages.uvicorn}:${r.workerClass}:${r.preload}:${r.app}:${naivePins(r).join(",")}`),
  ]),
);
// The same cells through the harness with their envs built: what a user re-checking them waits.
process.stderr.write(`bench: the harness on the same ${sample.length} cells …\n`);
const sameOut = await mkdtemp(join(tmpdir(), "repro-matrix-bench-same-"));
const cpuBefore = await busyCpuSeconds();
const same = await harnessCli([...runArgs(sameOut), "--force", "--only", sample.map((r) => cellId(r)).join(" ")]);
const sameCells = (await readResults(sameOut)).cells;
const harnessPerCell = same.ms / Math.max(1, sample.length);
// What the machine spent on those cells (servers, engine, harness): divided over its cores, the
// least wall time a cell can take here however the harness schedules it.
const cpuPerCell = ((await busyCpuSeconds()) - cpuBefore) / Math.max(1, sample.length);
const floorPerCell = (cpuPerCell / cpus().length) * 1000;
// Nor can the cells take less wall together than the longest of them, however many run at once.
const longest = [...sameCells].sort((a, b) => b.durationMs - a.durationMs)[0];
const longestFloorPerCell = (longest?.durationMs ?? 0) / Math.max(1, sample.length);
// Issue #4's cheaper cells: the 4 cells of an env one after another in a container kept for the
// env, against a container per cell (--container-per-cell), on the envs of the first 5 sampled cells.
const sharedVersions = [...new Set(sample.map((r) => r.packages.uvicorn))].slice(0, 5);
const sharedOnly = sharedVersions.map((v) => `uvicorn=${v}`).join(" ");
process.stderr.write(`bench: the cells of ${sharedVersions.length} envs, sharing a container and not …\n`);
interface SharingRun {
  ms: number;
  cpu: number;
  cells: CellRecord[];
}
const sharingRuns: SharingRun[] = [];
for (const perCell of [false, true]) {
  const dir = await mkdtemp(join(tmpdir(), "repro-matrix-bench-sharing-"));
  const before = await busyCpuSeconds();
  const run = await harnessCli([...runArgs(dir), "--force", "--only", sharedOnly, ...(perCell ? ["--container-per-cell"] : [])]);
  const cpu = (await busyCpuSeconds()) - before;
  sharingRuns.push({ ms: run.ms, cpu, cells: (await readResults(dir)).cells });
}
const [sharedRun, perCellRun] = sharingRuns as [SharingRun, SharingRun];
const perCellOutcome = new Map(perCellRun.cells.map((c) => [cellId(c), c.outcome]));
const sameOutcome = sharedRun.cells.filter((c) => perCellOutcome.get(cellId(c)) === c.outcome).length;
const sharingLine = (r: SharingRun) =>
  `${seconds(r.ms)}, ${(r.cpu / Math.max(1, r.cells.length)).toFixed(2)} CPU-s a cell, median cell ${seconds(median(r.cells.map((c) => c.durationMs)))}`;
const cellLine = (r: CellRecord) =>
  `${r.packages.uvicorn}:${r.workerClass}:${r.preload}:${r.app} ${(r.durationMs / 1000).toFixed(1)} ${r.outcome} ${Object.entries(
    r.phasesMs ?? {},
  )
    .map(([p, ms]) => `${p}=${(ms / 1000).toFixed(1)}`)
    .join(" ")}`;
const naiveLines = naive.value.stdout.trim().split("\n").filter(Boolean);
const naivePerCell = naiveLines.map((l) => Number(l.split(" ")[1]));
const naiveMean = naive.ms / Math.max(1, naiveLines.length);
const meanRatio = naiveMean / harnessPerCell;
// The sum of 10 cells can hang on one pathological cell (a server whose workers never answer costs
// the loop's one-at-a-time curls their timeout each): the median cell says what is typical. The
// harness's share of wall for it is its duration over the cells it runs at once.
const harnessMedianShare = median(sameCells.map((c) => c.durationMs)) / CONCURRENCY;
const medianRatio = (median(naivePerCell) * 1000) / Math.max(1, harnessMedianShare);

const phaseNames = ["start", "boot", "probe", "stop", "teardown"] as const;
const ran = records.filter((r): r is CellRecord & { phasesMs: Record<string, number> } => r.phasesMs !== undefined);
const medianCell = ran.sort((a, b) => a.durationMs - b.durationMs)[Math.floor(ran.length / 2)];
const versionsSwept = new Set(records.map((r) => r.packages.uvicorn)).size;
const bisectBound = 2 * Math.ceil(Math.log2(versionsSwept)) + 4;
const medianRan = median(ran.map((r) => r.durationMs));
// Issue #19: every release on a Python of its day, cheap env builds.
const envBuilds = coldRun?.envBuilds ?? [];
const plainBuilds = envBuilds.filter((b) => !b.compiled);
const medianEnvMs = median(plainBuilds.map((b) => b.ms));
const untestable = untestableReleases(records);
const oldLine = untestable.filter((u) => gte(u.version, "0.4.4") && lt(u.version, "0.12.0"));
const pythonsRun = [...new Set(records.map((r) => r.python))].sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
const targets: [string, string, boolean][] = [
  ["Warm re-run of the sweep under 30 s", seconds(warm.ms), warm.ms < 30_000],
  ["Cold sweep under 30 min", seconds(cold.ms), cold.ms < 30 * 60_000],
  ["Median cell under 2 s (image builds excluded)", seconds(medianRan), medianRan < 2000],
  [
    "At least 10× faster per cell than the naive loop (over the cells, and for the median cell)",
    `${meanRatio.toFixed(1)}× · ${medianRatio.toFixed(1)}×`,
    meanRatio >= 10 && medianRatio >= 10,
  ],
  [
    `Bisect within 2·⌈log2 n⌉+4 = ${bisectBound} cells`,
    `${bisected.value.result.tested} cells`,
    bisected.value.result.tested <= bisectBound,
  ],
  ["Harness resident memory under 300 MB", `${Math.round(cold.peakRssMb)} MB`, cold.peakRssMb < 300],
  ["`repro-matrix --help` answers in under 0.5 s (issue #22)", `${(start.compiledMs / 1000).toFixed(2)} s`, start.compiledMs < 500],
];
const eraTargets: [string, string, boolean][] = [
  [
    "At most 4 releases untestable on every Python, each with its reason",
    `${untestable.length}: ${untestable.map((u) => u.version).join(", ")}`,
    untestable.length <= 4,
  ],
  ["None of 0.4.4–0.11.x untestable", oldLine.length === 0 ? "none" : oldLine.map((u) => u.version).join(", "), oldLine.length === 0],
  [
    "Cold era sweep under 20 min",
    `${seconds(cold.ms)} (its machine CPU alone: at least ${seconds((coldCpu / cpus().length) * 1000)} on ${cpus().length} cores)`,
    cold.ms < 20 * 60_000,
  ],
  ["Warm re-run under 10 s", seconds(warm.ms), warm.ms < 10_000],
  [
    "Median env build under 5 s (sdist compiles excluded)",
    `${seconds(medianEnvMs)} (${plainBuilds.length} envs; ${envBuilds.length - plainBuilds.length} compiling an sdist left out)`,
    medianEnvMs < 5000,
  ],
  ["Harness resident memory under 300 MB", `${Math.round(cold.peakRssMb)} MB`, cold.peakRssMb < 300],
];
const now = new Date();
const lines = [
  "# Benchmark",
  "",
  `Run ${now.toISOString().slice(0, 16).replace("T", " ")} UTC on ${cpus().length} × ${cpus()[0]?.model.trim()} with ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}, \`npm run bench -- --versions "${RANGE}"${values["keep-envs"] ? " --keep-envs" : ""}\`${values["keep-envs"] ? " (env images, locks and build-failure records were kept, not removed: the cold sweep reused whatever of them existed)" : ""}.`,
  `Sweep: uvicorn ${RANGE} (${new Set(records.map((r) => r.packages.uvicorn)).size} releases), each on its era Python (Python ${pythonsRun.join(", ")}: pyenv builds of this machine in images of its Debian suite) × preload on/off × UvicornWorker/UvicornH11Worker × import-time-loop, 8 workers, ${PROBES} probes: ${records.length} cells (a release no cell could test on its era Python is tried on its other Pythons).`,
  "",
  "| Measure | Value |",
  "| --- | --- |",
  `| Cold sweep (no recorded results) | ${seconds(cold.ms)} · ${((records.length / cold.ms) * 60_000).toFixed(1)} cells/min · envs built ${coldRun?.imagesBuilt}, reused ${coldRun?.imagesReused} |`,
  `| Machine CPU of the cold sweep (env builds, servers, engine and harness) | ${coldCpu.toFixed(0)} CPU-s, ${(coldCpu / Math.max(1, records.length)).toFixed(2)} a cell; ${((coldCpu / (cpus().length * (cold.ms / 1000))) * 100).toFixed(0)}% of ${cpus().length} cores for the sweep's ${seconds(cold.ms)}: the same work cannot take under ${seconds((coldCpu / cpus().length) * 1000)} here, however it is scheduled |`,
  `| Warm sweep (nothing changed) | ${seconds(warm.ms)} · ${warmRun?.cellsReused}/${warmRun?.cells} cells reused, no server started |`,
  `| Env builds of the cold sweep (lock, files, image) | ${envBuilds.length} built · median ${seconds(medianEnvMs)} over the ${plainBuilds.length} that compiled no sdist · all: median ${seconds(median(envBuilds.map((b) => b.ms)))}, longest ${seconds(Math.max(0, ...envBuilds.map((b) => b.ms)))} |`,
  `| Cold ÷ warm | ${(cold.ms / warm.ms).toFixed(0)}× |`,
  `| Median cell that ran a server (env build excluded) | ${seconds(median(ran.map((r) => r.durationMs)))} (${ran.length} of ${records.length} cells; the rest could not be installed) |`,
  `| Median cell's phases | ${phaseNames.map((p) => `${p} ${seconds(medianCell?.phasesMs[p] ?? 0)}`).join(" · ")} |`,
  `| CLI start: \`repro-matrix --help\`, median of 20 fresh processes | ${(start.compiledMs / 1000).toFixed(2)} s compiled (npm run build) · ${(start.tsxMs / 1000).toFixed(2)} s from the sources via tsx |`,
  `| Harness peak resident memory (the CLI process, as the kernel counts it) | cold sweep ${Math.round(cold.peakRssMb)} MB · warm ${Math.round(warm.peakRssMb)} MB · same cells ${Math.round(same.peakRssMb)} MB |`,
  `| #85 verdict by bisect | ${seconds(bisected.ms)}, ${bisected.value.result.tested} cells (bound 2·⌈log2 n⌉+4 = ${bisectBound}); ${bisected.value.skipped.size} releases left out by their Requires-Python, no cell run |`,
  `| #85 verdict by sweep | ${seconds(cold.ms)}, ${records.length} cells (${claimCells.length} in the claim's configuration) |`,
  `| Sweep ÷ bisect (cells) | ${(records.length / Math.max(1, bisected.value.result.tested)).toFixed(1)}× |`,
  `| Naive loop, per cell (${naiveLines.length} cells, one after another) | ${seconds(naiveMean)} mean, ${seconds(median(naivePerCell) * 1000)} median |`,
  `| Harness, same cells, per cell (envs built, --force, 2 at a time) | ${seconds(harnessPerCell)} wall ÷ cells (${sample.length} cells in ${seconds(same.ms)}) |`,
  `| Naive ÷ harness per cell | ${meanRatio.toFixed(1)}× over the ${sample.length} cells; ${medianRatio.toFixed(1)}× for the median cell (naive ${seconds(median(naivePerCell) * 1000)}; harness ${seconds(harnessMedianShare * CONCURRENCY)} ÷ ${CONCURRENCY} at a time) |`,
  `| An env's cells in one container (${sharedRun.cells.length} cells of ${sharedVersions.length} envs: ${sharedVersions.join(", ")}; --force) | ${sharingLine(sharedRun)}; a container per cell: ${sharingLine(perCellRun)}; the same outcome for ${sameOutcome} of ${sharedRun.cells.length} cells |`,
  `| Machine CPU per harness cell (same cells) | ${cpuPerCell.toFixed(2)} CPU-s: on ${cpus().length} cores the cells cannot take under ${seconds(floorPerCell)} of wall each |`,
  `| Longest of the same cells | ${longest ? cellLine(longest) : "none"}: the ${sample.length} cells cannot take under ${seconds(longestFloorPerCell)} each, so naive ÷ harness is at most ${(naiveMean / Math.max(floorPerCell, longestFloorPerCell)).toFixed(1)}× here |`,
  "",
  "Targets (issue #4):",
  "",
  "| Target | Measured | Met |",
  "| --- | --- | --- |",
  ...targets.map(([what, measured, met]) => `| ${what} | ${measured} | ${met ? "yes" : "**no**"} |`),
  "",
  "Targets (issue #19, every release on a Python of its day):",
  "",
  "| Target | Measured | Met |",
  "| --- | --- | --- |",
  ...eraTargets.map(([what, measured, met]) => `| ${what} | ${measured} | ${met ? "yes" : "**no**"} |`),
  "",
  "Releases untestable on every Python they ran on (each Python's first reason):",
  "",
  ...(untestable.length > 0 ? untestable.map((u) => `- ${u.version}: ${u.why}`) : ["- none"]),
  "",
  "Env builds of the cold sweep (env, seconds, whether it compiled an sdist):",
  "",
  "```",
  ...[...envBuilds]
    .sort((a, b) => compare(envVersion(a.env), envVersion(b.env)) || a.env.localeCompare(b.env))
    .map((b) => `${b.env} ${(b.ms / 1000).toFixed(1)}${b.compiled ? " compiled" : ""}${b.ok ? "" : " lock check failed"}`),
  "```",
  "",
  "Bisect trail:",
  "",
  "```",
  ...bisectLines.filter(Boolean),
  "```",
  "",
  "The harness on the same cells (cell, seconds, outcome, phases):",
  "",
  "```",
  ...sameCells.map(cellLine),
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

/** Releases none of whose cells, on any Python, could be tested; with each Python's first reason. */
function untestableReleases(cells: CellRecord[]): { version: string; why: string }[] {
  const notRun = new Set(["install-failed", "boot-failure", "timeout"]);
  const out: { version: string; why: string }[] = [];
  for (const [version, own] of Map.groupBy(cells, (c) => c.packages.uvicorn ?? "")) {
    if (!own.every((c) => notRun.has(c.outcome))) continue;
    const byPython = Map.groupBy(own, (c) => c.python);
    const why = [...byPython].map(([py, cs]) => `Python ${py}: ${cs[0]?.outcome}: ${(cs[0]?.reason ?? "").slice(0, 140)}`).join("; ");
    out.push({ version, why });
  }
  return out.sort((a, b) => compare(a.version, b.version));
}

/** The uvicorn version in an env key (py3.7-uvicorn[standard]0.4.3-gunicorn23.0.0). */
function envVersion(key: string): string {
  return /uvicorn(?:\[[^\]]*\])?([0-9][^-]*)/.exec(key)?.[1] ?? "0";
}
