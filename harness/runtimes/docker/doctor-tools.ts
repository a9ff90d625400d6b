import { execa } from "execa";
import { type Check, describeError, fail, ok } from "../../core/check.js";
import { debianMirror } from "../../core/settings.js";
import { DebianBaseImage } from "./debian-base-image.js";
import type { EngineClient } from "./engine-checks.js";

/** `debian:<suite>` bases, as baseImageProvider reads them. */
export const debianSuites = (bases: string[]) => [...new Set(bases.flatMap((b) => /^debian:([a-z]+)$/.exec(b)?.[1] ?? []))];

/** The tag DebianBaseImage gives a suite's image. */
export const debianBaseTag = (suite: string, cacheDir: string) => new DebianBaseImage(suite, cacheDir).tag;

/** The suites whose base image the engine does not have yet: those debootstrap would build. */
export async function unbuiltSuites(suites: string[], cacheDir: string, engine: EngineClient, signal: AbortSignal): Promise<string[]> {
  const built = await Promise.all(suites.map((s) => engine.hasImage(debianBaseTag(s, cacheDir), signal)));
  return suites.filter((_, i) => !built[i]);
}

/**
 * A `debian:` base whose image is not built yet is built with debootstrap, which must be
 * installed and run as root (it chroots). No line when the scenario has no `debian:` base.
 */
export async function checkDebootstrap(
  suites: string[],
  toBuild: string[],
  signal: AbortSignal,
  isRoot = process.getuid?.() === 0,
): Promise<Check | undefined> {
  if (suites.length === 0) return undefined;
  const name = "debootstrap";
  if (toBuild.length === 0) return ok(name, `not needed: the ${suites.join(", ")} base images are built`);
  const what = `to build the ${toBuild.join(", ")} base image${toBuild.length > 1 ? "s" : ""}`;
  const orRegistry = "or name a registry image as base (e.g. python:3.11-slim)";
  // Root first: as a user, /usr/sbin (where Debian puts debootstrap) is often not on PATH either.
  if (!isRoot) return fail(name, `needs root (it chroots) ${what}`, `run repro-matrix as root; ${orRegistry}`);
  const r = await execa("debootstrap", ["--version"], { reject: false, timeout: 10_000, cancelSignal: signal, stdin: "ignore" });
  if (r.code === "ENOENT") return fail(name, `not installed; needed ${what}`, `apt-get install debootstrap; ${orRegistry}`);
  return ok(name, `${r.stdout.trim() || "installed"}, running as root, ${what}`);
}

/** The mirror has the suite's Release file: debootstrap can start. */
export async function checkMirror(suite: string, signal: AbortSignal, fetch: typeof globalThis.fetch = globalThis.fetch): Promise<Check> {
  const mirror = debianMirror();
  const name = `debian mirror ${mirror}`;
  const url = `${mirror.replace(/\/+$/, "")}/dists/${suite}/Release`;
  const fix = "check the network and proxy, or set REPRO_MATRIX_DEBIAN_MIRROR";
  const started = performance.now();
  try {
    const res = await fetch(url, { method: "HEAD", signal });
    await res.body?.cancel().catch(() => {});
    const ms = Math.round(performance.now() - started);
    if (res.ok) return ok(name, `${suite} in ${ms} ms`);
    // Debian moves suites past their end of life to its archive.
    if (res.status === 404)
      return fail(name, `no ${suite} suite (HTTP 404)`, "REPRO_MATRIX_DEBIAN_MIRROR=http://archive.debian.org/debian for a retired suite");
    return fail(name, `${url}: HTTP ${res.status}`, fix);
  } catch (err) {
    if (signal.aborted) throw err;
    return fail(name, `${url}: ${describeError(err)}`, fix);
  }
}
