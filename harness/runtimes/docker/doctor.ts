import { type Check, fail, guarded, ok, warn, withDeadline } from "../../core/check.js";
import { engineAddress } from "../../core/settings.js";
import { hostDebianSuite, hostInterpreterFor, isHostBase } from "../../envs/host-interpreters.js";
import type { DoctorContext, DoctorResult } from "../session.js";
import { checkDebootstrap, checkMirror, debianSuites, unbuiltSuites } from "./doctor-tools.js";
import { checkEngine, type EngineClient, type EngineInfo, engineIsLocal } from "./engine-checks.js";

const ENGINE_MS = 5000;
const TOOLS_MS = 15_000;

/** The engine, its leftovers, and what unbuilt base images need (debootstrap, Debian's mirror). */
export async function dockerDoctor(o: DoctorContext, engineClient: () => EngineClient, signal: AbortSignal): Promise<DoctorResult> {
  signal.throwIfAborted();
  const { checks, engine, info } = await engineChecks(engineClient);
  const bases = o.pythons.map(([, p]) => p.base);
  const hostSuite = bases.some(isHostBase) ? await hostDebianSuite() : undefined;
  // A host interpreter is copied into an image of this machine's suite, built like any debian: base.
  const suites = engine && info ? debianSuites([...bases, ...(hostSuite ? [`debian:${hostSuite}`] : [])]) : [];
  const tools =
    engine && suites.length > 0
      ? await guarded("debootstrap", TOOLS_MS, "check the engine and debootstrap", async (s) => {
          const toBuild = await unbuiltSuites(suites, o.cacheDir, engine, s);
          const [debootstrap, ...mirrors] = await Promise.all([
            checkDebootstrap(suites, toBuild, s),
            ...toBuild.map((suite) => checkMirror(suite, s, o.fetch)),
          ]);
          return [...(debootstrap ? [debootstrap] : []), ...mirrors];
        })
      : [];
  const rootDir = info?.rootDir && engineIsLocal() ? info.rootDir : undefined;
  return {
    checks: [...checks, ...(await hostBaseChecks(o.pythons, hostSuite)), ...tools],
    ...(rootDir
      ? { places: [{ label: `${rootDir} (Docker's data root)`, path: rootDir, fix: "repro-matrix clean --images; docker system prune" }] }
      : {}),
    available: Boolean(info),
  };
}

async function engineChecks(client: () => EngineClient): Promise<{ checks: Check[]; engine?: EngineClient; info?: EngineInfo }> {
  let engine: EngineClient;
  try {
    engine = client();
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
 * One line per Python whose base is a host interpreter (pyenv, host:<prefix>): the prefix that
 * would be copied, and the suite it goes into; a missing one fails only its Python's cells.
 */
async function hostBaseChecks(pythons: DoctorContext["pythons"], suite: string | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  for (const [version, { base }] of pythons.filter(([, p]) => isHostBase(p.base))) {
    const name = `python ${version} (docker, base ${base})`;
    const found = await hostInterpreterFor(base, version);
    if (!found.ok)
      checks.push(warn(name, `${found.reason}; its cells would be install-failed`, `pyenv install ${version}, or drop it from python:`));
    else if (!suite)
      checks.push(
        fail(
          name,
          "this machine does not run Debian: a host interpreter has no suite to be copied into",
          "use debian:<suite> or a registry image",
        ),
      );
    else checks.push(ok(name, `${found.interpreter.prefix}, copied into a Debian ${suite} image`));
  }
  return checks;
}
