import { access, constants, readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { compare, valid } from "@renovatebot/pep440";

/**
 * Pythons built on this machine outside Debian's packages: pyenv's installs, or any prefix that
 * `./configure --prefix` made. Both runtimes use them, so they are found in one place: the local
 * runtime runs a venv made from one, the docker runtime copies the prefix into an image of the
 * Debian suite it was built against. A base names them as `pyenv` (pyenv's newest install of the
 * asked minor version) or `host:<prefix>`.
 */
export interface HostInterpreter {
  /** The full version, from pyenv's folder name (3.7.16); undefined for a `host:` prefix. */
  version?: string;
  prefix: string;
  /** `<prefix>/bin/python3.X`: the interpreter itself, not a shim. */
  executable: string;
}

export const isHostBase = (base: string) => base === "pyenv" || base.startsWith("host:");

export const pyenvRoot = (env = process.env) => env.PYENV_ROOT ?? join(homedir(), ".pyenv");

/**
 * pyenv's CPython installs, newest first: folders named by a version (3.7.16). Others (pypy3.9-7.3,
 * miniconda3-latest, a virtualenv made with pyenv-virtualenv) are not CPython releases pyenv built.
 */
export async function pyenvInstalls(root = pyenvRoot()): Promise<HostInterpreter[]> {
  const names = await readdir(join(root, "versions")).catch(() => [] as string[]);
  return names
    .filter((n) => /^\d+\.\d+\.\d+$/.test(n) && valid(n) !== null)
    .sort((a, b) => compare(b, a))
    .map((n) => {
      const prefix = join(root, "versions", n);
      return { version: n, prefix, executable: join(prefix, "bin", `python${minorOf(n)}`) };
    });
}

const minorOf = (version: string) => version.split(".").slice(0, 2).join(".");

/**
 * The host interpreter a `pyenv` or `host:<prefix>` base names for Python `python` ("3.7"), or
 * why there is none: data, since a missing interpreter makes that Python's cells install-failed
 * (and takes it out of an era's candidates), not the run.
 */
export async function hostInterpreterFor(
  base: string,
  python: string,
  root = pyenvRoot(),
): Promise<{ ok: true; interpreter: HostInterpreter } | { ok: false; reason: string }> {
  if (base === "pyenv") {
    const found = (await pyenvInstalls(root)).find((i) => i.version && minorOf(i.version) === python);
    if (!found) return { ok: false, reason: `no Python ${python} in pyenv (${join(root, "versions")}): pyenv install ${python}` };
    if (!(await runnable(found.executable))) return { ok: false, reason: `${found.executable} is missing or not executable` };
    return { ok: true, interpreter: found };
  }
  const prefix = base.slice("host:".length);
  if (!isAbsolute(prefix)) return { ok: false, reason: `base ${base}: the prefix must be an absolute path` };
  const executable = join(prefix, "bin", `python${python}`);
  if (!(await runnable(executable))) return { ok: false, reason: `base ${base}: no ${executable} (is it a Python ${python} prefix?)` };
  return { ok: true, interpreter: { prefix, executable } };
}

const runnable = (file: string) =>
  access(file, constants.X_OK).then(
    () => true,
    () => false,
  );

/**
 * The Debian suite this machine runs (bookworm): a prefix built here links against its libssl,
 * libsqlite3 and libffi, so an image of that suite is where the prefix runs as it does here.
 * Undefined on anything but Debian (Ubuntu's libraries are not a Debian suite's).
 */
export async function hostDebianSuite(osRelease = "/etc/os-release"): Promise<string | undefined> {
  const text = await readFile(osRelease, "utf8").catch(() => "");
  const field = (name: string) => new RegExp(`^${name}=["']?([^"'\\n]*)`, "m").exec(text)?.[1];
  if (field("ID") !== "debian") return undefined;
  const suite = field("VERSION_CODENAME");
  return suite && /^[a-z]+$/.test(suite) ? suite : undefined;
}
