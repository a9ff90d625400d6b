import { execa } from "execa";
import { DebianBaseImage } from "../images/debian-base-image.js";
import { type Check, fail, ok } from "./check.js";
import type { EngineClient } from "./engine.js";

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
