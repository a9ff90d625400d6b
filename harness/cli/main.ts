import { join } from "node:path";
import { parseArgs } from "node:util";
import { runBisect } from "../bisect/run-bisect.js";
import { loadScenario } from "../config/load.js";
import type { Scenario } from "../config/schema.js";
import { ConfigError, EngineUnresponsiveError, HarnessError } from "../core/errors.js";
import { diskFull } from "../core/machine-errors.js";
import { defaultCacheDir, defaultConcurrency } from "../core/settings.js";
import { parseShard } from "../plan/shard.js";
import { terminalReporter } from "../report/terminal.js";
import { mergeDirs } from "../run/merge-dirs.js";
import { rerenderReport, runMatrix } from "../run/run-matrix.js";
import { connectDocker } from "../runtimes/docker/docker-engine.js";
import { removeAllManaged, removeCachedImages } from "../runtimes/docker/reaper.js";
import { RUNTIME_CHOICES, type RuntimeChoice } from "../runtimes/registry.js";
import { resultsJsonSchema } from "../store/results-schema.js";
import { DOCTOR_USAGE, doctorCommand } from "./doctor-command.js";
import { initCommand, PAGE_USAGE, pageCommand } from "./page-command.js";

const USAGE = `usage: repro-matrix run [--config matrix.yaml] [--out reports] [--only field=value,...] [--force] [--rebuild] [--resume] [--shard i/n] [--set package=version,...] [--max-age 30d] [--fail-on-change] [--concurrency N] [--container-per-cell] [--runtime ${RUNTIME_CHOICES.join("|")}] [--cache-dir .cache]
       repro-matrix verify --stale 30d [--config matrix.yaml] [run's options]   (re-run only cells last verified more than 30 days ago; the dates move)
       repro-matrix report [--config matrix.yaml] [--out reports]   (re-render README.md from results.json, no containers)
       repro-matrix merge <dir>... [--out reports]   (merge shard results into one results.json and report)
       repro-matrix bisect --where field=value,... [--package uvicorn] [--versions RANGE|all] [--affected VERSION] [--cross-check] [--config matrix.yaml] [--runtime ${RUNTIME_CHOICES.join("|")}]
       repro-matrix schema   (print results.json's JSON Schema)
       repro-matrix clean [--images]   (remove every harness container; with --images also the cached images)
${PAGE_USAGE}
${DOCTOR_USAGE}`;

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    options: {
      config: { type: "string", default: "matrix.yaml" },
      out: { type: "string", default: "reports" },
      only: { type: "string" },
      force: { type: "boolean", default: false },
      rebuild: { type: "boolean", default: false },
      resume: { type: "boolean", default: false },
      shard: { type: "string" },
      set: { type: "string", multiple: true },
      "max-age": { type: "string" },
      stale: { type: "string" },
      "fail-on-change": { type: "boolean", default: false },
      "container-per-cell": { type: "boolean", default: false },
      concurrency: { type: "string", default: String(defaultConcurrency()) },
      runtime: { type: "string", default: "auto" },
      "cache-dir": { type: "string", default: defaultCacheDir() },
    },
    strict: true,
    allowPositionals: false,
  });
}

/** Exit codes: 0 run completed, 2 harness/config error (one line), 130 interrupted. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // `repro-matrix --help`, `repro-matrix run --help` and the like: the usage, whatever else is on the line.
  const help = argv.includes("--help") || argv.includes("-h");
  if (help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return help ? 0 : 2;
  }
  if (command === "clean") return clean(rest);
  if (command === "merge") return merge(rest);
  if (command === "bisect") return bisectCommand(rest);
  if (command === "page") return pageCommand(rest);
  if (command === "doctor") return doctorCommand(rest);
  if (command === "schema") {
    process.stdout.write(`${JSON.stringify(resultsJsonSchema(), null, 2)}\n`);
    return 0;
  }
  if (command === "init") return initCommand(rest);
  if (command !== "run" && command !== "report" && command !== "verify") throw new ConfigError(`unknown command "${command}"; ${USAGE}`);
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(rest);
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; ${USAGE}`);
  }
  const values = parsed.values;
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new ConfigError(`--concurrency: "${values.concurrency}" is not a positive integer`);

  const runtime = values.runtime as RuntimeChoice;
  if (!RUNTIME_CHOICES.includes(runtime))
    throw new ConfigError(`--runtime: "${values.runtime}" is not one of ${RUNTIME_CHOICES.join(", ")}`);

  const scenario = withVersions(await loadScenario(values.config), values.set ?? [], values.config);
  if (command === "report") {
    const file = await rerenderReport(join(values.out, scenario.scenario));
    process.stderr.write(`report ${file}\n`);
    return 0;
  }
  const maxAgeDays = days("--max-age", values["max-age"]);
  const staleDays = days("--stale", values.stale);
  if (command === "verify" && staleDays === undefined) throw new ConfigError("verify: --stale is required, e.g. verify --stale 30d");
  if (command === "run" && staleDays !== undefined) throw new ConfigError("--stale belongs to verify: repro-matrix verify --stale 30d");
  let changed = false;
  const exit = await interruptible(async (signal) => {
    const { changes } = await runMatrix({
      scenario,
      runtime,
      configFile: values.config,
      outDir: values.out,
      cacheDir: values["cache-dir"],
      ...(values.only ? { only: values.only } : {}),
      force: Boolean(values.force),
      rebuild: Boolean(values.rebuild),
      resume: Boolean(values.resume),
      ...(values.shard ? { shard: parseShard(values.shard) } : {}),
      concurrency,
      containerPerCell: Boolean(values["container-per-cell"]),
      keepCellsOutsideMatrix: (values.set ?? []).length > 0,
      ...(maxAgeDays !== undefined ? { maxAgeDays } : {}),
      ...(staleDays !== undefined ? { staleDays } : {}),
      signal,
      onEvent: terminalReporter(process.stderr),
    });
    changed = changes.length > 0;
  });
  // --fail-on-change: a nightly job fails when the table moved, so someone looks.
  return exit === 0 && changed && values["fail-on-change"] ? 1 : exit;
}

/** "30d" -> 30; a flag's value that is not a number of days is a one-line usage error. */
function days(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(/^(\d+)d$/.exec(value)?.[1] ?? Number.NaN);
  if (Number.isNaN(n)) throw new ConfigError(`${flag}: "${value}" is not a number of days such as 30d`);
  return n;
}

/**
 * Runs work that starts servers. First Ctrl-C: stop cleanly (servers removed, finished cells
 * kept), exit 130. Second: leave now; the next run reaps what is left.
 */
async function interruptible(work: (signal: AbortSignal) => Promise<void>): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write("\ninterrupted: stopping servers and saving finished cells (Ctrl-C again to force)\n");
    controller.abort(new Error("interrupted"));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await work(controller.signal);
    return 0;
  } catch (err) {
    if (controller.signal.aborted) return 130;
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * `--set uvicorn=0.29.0,0.30.0`: run these versions of a package axis instead of the file's, e.g.
 * to rerun one side of a bisect boundary; they are checked against the index like any other.
 */
function withVersions(s: Scenario, sets: string[], file: string): Scenario {
  const packages = { ...s.packages };
  for (const set of sets) {
    const [name, list] = set.split("=", 2);
    if (!name || !list) throw new ConfigError(`--set: "${set}" is not package=version[,version...]`);
    if (!(name in packages)) throw new ConfigError(`--set: ${name} is not a package axis of ${file} (${Object.keys(packages).join(", ")})`);
    packages[name] = { versions: list.split(",").filter(Boolean) };
  }
  return { ...s, packages };
}

async function bisectCommand(args: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        config: { type: "string", default: "matrix.yaml" },
        where: { type: "string" },
        package: { type: "string", default: "uvicorn" },
        versions: { type: "string" },
        affected: { type: "string" },
        runtime: { type: "string", default: "auto" },
        "cross-check": { type: "boolean", default: false },
        "cache-dir": { type: "string", default: defaultCacheDir() },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; ${USAGE}`);
  }
  const runtime = values.runtime as RuntimeChoice;
  if (!RUNTIME_CHOICES.includes(runtime))
    throw new ConfigError(`--runtime: "${values.runtime}" is not one of ${RUNTIME_CHOICES.join(", ")}`);
  if (!values.where) throw new ConfigError(`bisect: --where is required (the one configuration to search, in --only syntax); ${USAGE}`);
  const configFile = String(values.config);
  const scenario = await loadScenario(configFile);
  return interruptible(async (signal) => {
    await runBisect({
      scenario,
      configFile,
      where: String(values.where),
      package: String(values.package),
      ...(values.versions ? { versions: String(values.versions) } : {}),
      ...(values.affected ? { affected: String(values.affected) } : {}),
      runtime,
      cacheDir: String(values["cache-dir"]),
      crossCheck: Boolean(values["cross-check"]),
      signal,
      say: (line) => process.stdout.write(`${line}\n`),
    });
  });
}

async function merge(args: string[]): Promise<number> {
  let parsed: { values: { out?: string }; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { out: { type: "string", default: "reports" } }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; ${USAGE}`);
  }
  if (parsed.positionals.length === 0) throw new ConfigError(`merge: name the shard folders to merge; ${USAGE}`);
  for (const dir of await mergeDirs(parsed.positionals, parsed.values.out ?? "reports")) process.stderr.write(`merged ${dir}/README.md\n`);
  return 0;
}

async function clean(args: string[]): Promise<number> {
  let images: boolean;
  try {
    images = Boolean(parseArgs({ args, options: { images: { type: "boolean", default: false } }, strict: true }).values.images);
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; ${USAGE}`);
  }
  const docker = await connectDocker();
  const containers = await removeAllManaged(docker);
  const removedImages = images ? await removeCachedImages(docker) : 0;
  process.stderr.write(`removed ${containers} container(s)${images ? ` and ${removedImages} image(s)` : ""}\n`);
  return 0;
}

/** Harness errors print one line and exit 2; anything else is a bug and keeps its stack. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    // A full disk is the machine's state, not a bug: one line with the fix, like any harness error.
    const known = err instanceof HarnessError ? err : diskFull(err);
    if (known) {
      process.stderr.write(`repro-matrix: ${known.message}\n`);
      process.exitCode = known.exitCode;
      // Results are written by now; what is left are calls the hung engine never answers.
      if (known instanceof EngineUnresponsiveError) process.exit(known.exitCode);
      return;
    }
    throw err;
  }
}
