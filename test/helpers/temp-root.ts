import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SOCKET_DIR_PREFIX } from "../../harness/runtimes/docker/container-place.js";

/**
 * Vitest global setup: every temporary file of one test run, the tests' own and those of the
 * harness processes they start (socket folders, venvs, scratch reports), goes under one folder,
 * removed when the run ends. Each run used to leave a few hundred folders in /tmp.
 * TMPDIR is set before the test workers start, so they and their children inherit it.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), "repro-matrix-tests-"));
  process.env.TMPDIR = root;
  return async () => {
    // A socket folder left behind is a leak the suite must report (.ci/run counts them): those
    // stay, with the folder that holds them; everything else goes.
    const names = await readdir(root);
    const leaked = names.filter((n) => n.startsWith(SOCKET_DIR_PREFIX));
    await Promise.all(names.filter((n) => !leaked.includes(n)).map((n) => rm(join(root, n), { recursive: true, force: true })));
    if (leaked.length === 0) await rm(root, { recursive: true, force: true });
    else process.stderr.write(`temp-root: ${leaked.length} socket folder(s) left in ${root}\n`);
  };
}
