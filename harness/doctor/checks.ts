import { existsSync } from "node:fs";
import { Index, type Scenario } from "../config/schema.js";
import { UV_VERSION, uvPlaces } from "../envs/uv.js";
import type { RuntimeChoice } from "../runtimes/open-runtime.js";
import { type Check, fail, guarded, ok, withDeadline } from "./check.js";
import { checkConfig } from "./config.js";
import { cachePlace, checkDisk, dockerPlace } from "./disk.js";
import { checkEngine, dockerEngineClient, type EngineClient, type EngineInfo, engineAddress, engineIsLocal } from "./engine.js";
import { checkIndex, checkMirror } from "./network.js";
import { checkNode } from "./node.js";
import { checkHostPython, checkUvPrerequisite } from "./python.js";
import { checkDebootstrap, debianSuites, unbuiltSuites } from "./tools.js";

/** Each check's own deadline: the slowest bounds doctor's run (a few seconds when all is well). */
const ENGINE_MS = 5000;
const DISK_MS = 5000;
/** Finding an interpreter may try a few candidates (PATH, pyenv), each allowed 10 s by findHostPython. */
const PYTHON_MS = 20_000;
const TOOLS_MS = 15_000;
const NETWORK_MS = 10_000;

export interface DoctorOptions {
  configFile: string;
  cacheDir: string;
  /** Which checks matter: local never touches Docker; docker needs no host Pythons. */
  runtime: RuntimeChoice;
  /** For tests: the engine (default: dockerode at DOCKER_HOST), fetch, Node's version. */
  engine?: () => EngineClient;
  fetch?: typeof globalThis.fetch;
  nodeVersion?: string;
}

/** Every check, in the order they print; independent checks run at once. */
export async function runChecks(o: DoctorOptions): Promise<Check[]> {
  const [config, docker] = await Promise.all([checkConfig(o.configFile), engineChecks(o)]);
  const scenario = config.scenario;
  const { engine, info } = docker;
  const uvInstalled = existsSync(uvPlaces(o.cacheDir).uv);
  const rootDir = info?.rootDir && engineIsLocal() ? info.rootDir : undefined;
  const places = [cachePlace(o.cacheDir), ...(rootDir ? [dockerPlace(rootDir)] : [])];
  // auto runs locally when no engine answers: then a missing host Python fails cells.
  const missingPython = o.runtime === "local" || !info ? "fail" : "warn";
  const pythons = o.runtime === "docker" ? [] : Object.entries(scenario?.python ?? {});
  const suites = engine && info && o.runtime !== "local" ? debianSuites(Object.values(scenario?.python ?? {}).map((p) => p.base)) : [];

  const groups = await Promise.all([
    guarded("disk", DISK_MS, "check the filesystem", (s) => checkDisk(places, s)),
    guarded("python3 (for uv)", PYTHON_MS, "check python3 on PATH", (s) => checkUvPrerequisite(o.cacheDir, s)),
    ...pythons.map(([version, settings]) =>
      guarded(`python ${version} (local runtime)`, PYTHON_MS, `check the python${version} interpreter (it hangs)`, (s) =>
        checkHostPython(version, settings.hostPython, missingPython, s),
      ),
    ),
    engine && suites.length > 0
      ? guarded("debootstrap", TOOLS_MS, "check the engine and debootstrap", async (s) => {
          const toBuild = await unbuiltSuites(suites, o.cacheDir, engine, s);
          const [debootstrap, ...mirrors] = await Promise.all([
            checkDebootstrap(suites, toBuild, s),
            ...toBuild.map((suite) => checkMirror(suite, s, o.fetch)),
          ]);
          return [...(debootstrap ? [debootstrap] : []), ...mirrors];
        })
      : Promise.resolve([]),
    ...indexes(o, scenario?.index, uvInstalled).map(([url, why]) =>
      guarded(`index ${url}`, NETWORK_MS, `check the network and proxy, or ${why}`, (s) =>
        checkIndex(url, why, s, o.fetch ? { fetch: o.fetch } : {}),
      ),
    ),
  ]);
  return [checkNode(o.nodeVersion), config.check, ...docker.checks, ...groups.flat()];
}

async function engineChecks(o: DoctorOptions): Promise<{ checks: Check[]; engine?: EngineClient; info?: EngineInfo }> {
  if (o.runtime === "local") return { checks: [ok("docker engine", "not used (--runtime local)")] };
  let engine: EngineClient;
  try {
    engine = (o.engine ?? dockerEngineClient)();
  } catch (err) {
    // dockerode reads DOCKER_HOST when made: a malformed one throws here.
    return {
      checks: [
        fail(
          "docker engine",
          `DOCKER_HOST=${engineAddress()}: ${(err as Error).message}`,
          "set DOCKER_HOST to unix:///path/to/docker.sock or tcp://host:port",
        ),
      ],
    };
  }
  const fix = "restart the engine (is dockerd hung?) or set DOCKER_HOST";
  const result = await withDeadline(
    ENGINE_MS,
    (why) => ({ checks: [fail("docker engine", `${engineAddress()}: ${why}`, fix)] }),
    (s) => checkEngine(engine, s),
  );
  return { ...result, engine };
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
