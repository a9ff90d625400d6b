import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import type { Scenario } from "../config/schema.js";
import { type Check, ok, warn } from "../core/check.js";
import { pyenvInstalls, pyenvRoot } from "../envs/host-interpreters.js";
import { byPythonVersion, CPYTHON_RELEASES } from "../releases/cpython-releases.js";

const executable = (file: string) =>
  access(file, constants.X_OK).then(
    () => true,
    () => false,
  );

/** `python3.X` commands on PATH, for every minor version the release table knows. */
async function onPath(path = process.env.PATH ?? ""): Promise<string[]> {
  const found: string[] = [];
  for (const minor of Object.keys(CPYTHON_RELEASES)) {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      if (await executable(join(dir, `python${minor}`))) {
        found.push(minor);
        break;
      }
    }
  }
  return found;
}

/**
 * The interpreters a run could use on this machine: pyenv's builds (which `base: pyenv` copies
 * into images, and the local runtime runs) and python3.X on PATH. With `pythonPolicy: era`, which
 * of the scenario's Pythons each release may get, and which have no interpreter here.
 */
export async function checkInterpreters(scenario?: Scenario): Promise<Check> {
  const name = "host interpreters";
  const pyenv = await pyenvInstalls();
  const path = await onPath();
  const have = new Set([...pyenv.map((i) => i.version?.split(".").slice(0, 2).join(".") ?? ""), ...path]);
  const listing = [
    pyenv.length > 0
      ? `pyenv ${pyenv
          .map((i) => i.version)
          .reverse()
          .join(", ")} (${join(pyenvRoot(), "versions")})`
      : "no pyenv installs",
    path.length > 0 ? `PATH python${path.join(", python")}` : "no python3.X on PATH",
  ].join("; ");
  if (scenario?.pythonPolicy !== "era") return ok(name, listing);
  const listed = Object.keys(scenario.python).sort(byPythonVersion);
  // A debootstrapped or registry base brings its own Python; only host bases need one here.
  const missing = listed.filter((p) => ["pyenv"].includes(scenario.python[p]?.base ?? "") && !have.has(p));
  const era = `pythonPolicy: era picks each release's Python among ${listed.filter((p) => !missing.includes(p)).join(", ")}`;
  if (missing.length === 0) return ok(name, `${listing}; ${era}`);
  return warn(
    name,
    `${listing}; ${era}; no interpreter for ${missing.join(", ")}, so no release runs on it`,
    `pyenv install ${missing.join(" ")}, or drop them from python:`,
  );
}
