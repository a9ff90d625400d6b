import { existsSync } from "node:fs";
import { Index, type Scenario } from "../config/schema.js";
import { type Check, fail, guarded, ok, withDeadline } from "../core/check.js";
import { UV_VERSION, uvPlaces } from "../envs/uv.js";
import { loadRuntimes, type RuntimeChoice } from "../runtimes/registry.js";
import type { DoctorResult, RuntimeAdapter } from "../runtimes/session.js";
import { checkConfig } from "./config.js";
import { cachePlace, checkDisk } from "./disk.js";
import { checkInterpreters } from "./interpreters.js";
import { checkIndex } from "./network.js";
import { checkNode } from "./node.js";
import { checkUvPrerequisite } from "./python.js";

/** Each check's own deadline: the slowest bounds doctor's run (a few seconds when all is well). */
const DISK_MS = 5000;
/** Finding an interpreter may try a few candidates (PATH, pyenv), each allowed 10 s by findHostPython. */
const PYTHON_MS = 20_000;
const NETWORK_MS = 10_000;
/** A runtime's own checks (an engine, debootstrap and a mirror, host Pythons), all together. */
const RUNTIME_MS = 30_000;

export interface DoctorOptions {
  configFile: string;
  cacheDir: string;
  /** Which runtimes' checks matter: a named one alone, or (auto) every registered one. */
  runtime: RuntimeChoice;
  /** For tests: the runtimes to check (default: the registry's), e.g. docker with a fake engine. */
  runtimes?: readonly RuntimeAdapter[];
  fetch?: typeof globalThis.fetch;
  nodeVersion?: string;
}

/** Every check, in the order they print; independent checks run at once. */
export async function runChecks(o: DoctorOptions): Promise<Check[]> {
  const config = await checkConfig(o.configFile);
  const scenario = config.scenario;
  const all = o.runtimes ?? (await loadRuntimes());
  const chosen = o.runtime === "auto" ? all : all.filter((r) => r.name === o.runtime);
  const pythons = Object.entries(scenario?.python ?? {});
  // Each chosen runtime checks what it needs. Under auto a runtime's missing prerequisite fails
  // only when no runtime before it would run instead (no engine: the local runtime runs).
  const runtimeChecks: DoctorResult[] = [];
  for (const adapter of chosen) {
    const earlierRuns = runtimeChecks.some((r) => r.available);
    const ctx = { cacheDir: o.cacheDir, pythons, only: chosen.length === 1 || !earlierRuns, ...(o.fetch ? { fetch: o.fetch } : {}) };
    runtimeChecks.push(
      await withDeadline(
        RUNTIME_MS,
        (why): DoctorResult => ({
          checks: [fail(`${adapter.name} runtime`, why, `check what the ${adapter.name} runtime needs`)],
          available: false,
        }),
        (s) => adapter.doctor(ctx, s),
      ),
    );
  }
  const skipped = all.filter((r) => !chosen.includes(r)).map((r) => ok(`${r.name} runtime`, `not used (--runtime ${o.runtime})`));
  const uvInstalled = existsSync(uvPlaces(o.cacheDir).uv);
  const places = [cachePlace(o.cacheDir), ...runtimeChecks.flatMap((r) => r.places ?? [])];
  const groups = await Promise.all([
    guarded("host interpreters", PYTHON_MS, "check pyenv and PATH", async () => [await checkInterpreters(scenario)]),
    guarded("disk", DISK_MS, "check the filesystem", (s) => checkDisk(places, s)),
    guarded("python3 (for uv)", PYTHON_MS, "check python3 on PATH", (s) => checkUvPrerequisite(o.cacheDir, s)),
    ...indexes(o, scenario?.index, uvInstalled).map(([url, why]) =>
      guarded(`index ${url}`, NETWORK_MS, `check the network and proxy, or ${why}`, (s) =>
        checkIndex(url, why, s, o.fetch ? { fetch: o.fetch } : {}),
      ),
    ),
  ]);
  return [checkNode(o.nodeVersion), config.check, ...skipped, ...runtimeChecks.flatMap((r) => r.checks), ...groups.flat()];
}

/**
 * The indexes a run asks (extra indexes first, as uv searches them), or PyPI without a config;
 * and, until uv is installed, the index pip installs it from.
 */
function indexes(o: DoctorOptions, index: Scenario["index"] | undefined, uvInstalled: boolean): [url: string, why: string][] {
  const why = `set index.url in ${o.configFile}`;
  const urls: [string, string][] = index ? [...index.extraUrls, index.url].map((u) => [u, why]) : [[Index.parse({}).url, why]];
  const pipIndex = process.env.PIP_INDEX_URL ?? "https://pypi.org/simple";
  if (!uvInstalled && !urls.some(([u]) => sameUrl(u, pipIndex)))
    urls.push([pipIndex, `set PIP_INDEX_URL (pip installs uv ${UV_VERSION} from it on the first run)`]);
  return urls;
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
