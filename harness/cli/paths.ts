import type { Stats } from "node:fs";
import { constants } from "node:fs";
import { access, lstat, realpath, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { ConfigError } from "../core/errors.js";

/**
 * The paths a command is given, checked before anything is read or written, so a hostile one is
 * a one-line usage error (exit 2) rather than a hang or a stack trace: a FIFO would block the
 * read for ever, a recursive mkdir under /proc spins, a file where a folder belongs fails deep
 * inside a write. Nothing here opens a file: lstat and stat do not block on a FIFO.
 */

/** Kernel filesystems: nothing the harness reads or writes lives there. */
const KERNEL_ROOTS = ["/proc", "/sys", "/dev"];

const under = (path: string, root: string) => path === root || path.startsWith(`${root}${sep}`);

function refuseKernelPath(flag: string, path: string, real: string): void {
  const root = KERNEL_ROOTS.find((r) => under(real, r));
  if (root) throw new ConfigError(`${flag} ${path}: under ${root}, a kernel filesystem; use a path on a disk`);
}

/** What a non-regular file is, for the message. */
function kindOf(s: Stats): string {
  if (s.isFIFO()) return "a FIFO (named pipe)";
  if (s.isSocket()) return "a socket";
  if (s.isCharacterDevice() || s.isBlockDevice()) return "a device";
  if (s.isDirectory()) return "a folder";
  if (s.isFile()) return "a file";
  return "not a regular file";
}

/** lstat, then stat through a symlink; undefined when nothing is there. */
async function statOf(flag: string, path: string): Promise<Stats | undefined> {
  try {
    const link = await lstat(path);
    return link.isSymbolicLink() ? await stat(path) : link;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    // ENOTDIR: a file where a folder of the path should be; ELOOP, EACCES: the path cannot be followed.
    throw new ConfigError(`${flag} ${path}: cannot be used (${code})`, { cause: err });
  }
}

/** For an input whose absence the command reports in its own terms (doctor's config check, page's "cannot read"). */
export interface InputCheck {
  missingOk?: boolean;
}

/** An input file (--config, a fix page): it exists, is a regular file, and can be read. */
export async function checkInputFile(flag: string, path: string, o: InputCheck = {}): Promise<void> {
  refuseKernelPath(flag, path, resolve(path));
  const s = await statOf(flag, path);
  if (!s && o.missingOk) return;
  if (!s) throw new ConfigError(`${flag} ${path}: no such file`);
  if (!s.isFile()) throw new ConfigError(`${flag} ${path}: ${kindOf(s)}, not a file`);
  refuseKernelPath(flag, path, await realpath(path));
  await accessible(flag, path, constants.R_OK, "cannot be read");
}

/** An input folder (merge's shards, --results): it exists and is a folder. */
export async function checkInputFolder(flag: string, path: string, o: InputCheck = {}): Promise<void> {
  refuseKernelPath(flag, path, resolve(path));
  const s = await statOf(flag, path);
  if (!s && o.missingOk) return;
  if (!s) throw new ConfigError(`${flag} ${path}: no such folder`);
  if (!s.isDirectory()) throw new ConfigError(`${flag} ${path}: ${kindOf(s)}, not a folder`);
  refuseKernelPath(flag, path, await realpath(path));
  await accessible(flag, path, constants.R_OK | constants.X_OK, "cannot be read");
}

/**
 * A folder the harness writes into (--out, --cache-dir): a writable folder, or a path that does
 * not exist yet under one (the harness makes it). Checked through its nearest existing folder.
 */
export async function checkOutputFolder(flag: string, path: string): Promise<void> {
  refuseKernelPath(flag, path, resolve(path));
  const s = await statOf(flag, path);
  if (s && !s.isDirectory()) throw new ConfigError(`${flag} ${path}: ${kindOf(s)}, not a folder`);
  const existing = s ? path : await nearestExisting(flag, path);
  refuseKernelPath(flag, path, await realpath(existing));
  await accessible(flag, existing, constants.W_OK | constants.X_OK, "cannot be written (read-only, immutable or not yours)", path);
}

/** The files a run reads back from a scenario's report folder (store/): results, the append log, the run marker. */
const REPORT_FILES = ["results.json", "results.jsonl", "run-in-progress.json"];

/**
 * A scenario's report folder (<out>/<scenario>): writable as --out is, and the files a run reads
 * back from it, where they exist, regular files (a FIFO named results.json would block the read).
 */
export async function checkReportFolder(flag: string, dir: string): Promise<void> {
  await checkOutputFolder(flag, dir);
  for (const name of REPORT_FILES) await checkInputFile(flag, join(dir, name), { missingOk: true });
}

/** A file the harness creates (init --out): nothing there yet, in a writable folder. */
export async function checkNewFile(flag: string, path: string): Promise<void> {
  refuseKernelPath(flag, path, resolve(path));
  const s = await statOf(flag, path);
  if (s) throw new ConfigError(`${flag} ${path}: already exists; choose a new file name`);
  await checkOutputFolder(flag, dirname(resolve(path)));
}

/** The first ancestor of a missing path that exists; it must be a folder for the path to be made. */
async function nearestExisting(flag: string, path: string): Promise<string> {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    const s = await statOf(flag, dir);
    if (s?.isDirectory()) return dir;
    if (s) throw new ConfigError(`${flag} ${path}: ${dir} is ${kindOf(s)}, not a folder`);
    if (dir === dirname(dir)) throw new ConfigError(`${flag} ${path}: no existing folder above it`);
  }
}

/** access(2) as this user; EPERM also means an immutable inode (chattr +i), EROFS a read-only mount. */
async function accessible(flag: string, path: string, mode: number, what: string, named = path): Promise<void> {
  try {
    await access(path, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = named === path ? "" : ` (${path})`;
    throw new ConfigError(`${flag} ${named}: ${what}${where} (${code})`, { cause: err });
  }
}
