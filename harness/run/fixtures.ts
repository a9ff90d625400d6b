import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../core/errors.js";
import { PACKAGE_ROOT } from "../core/source-root.js";
import type { PlacedFile } from "../runtimes/runtime.js";

export const APPS_DIR = fileURLToPath(new URL("images/apps/", PACKAGE_ROOT));

/** All fixture modules go into the app folder of every server; the command picks one by name. */
export async function loadFixtureApps(wanted: string[], dir = APPS_DIR): Promise<PlacedFile[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith(".py"));
  wanted.forEach((app, i) => {
    if (!names.includes(`${app.replaceAll("-", "_")}.py`)) {
      const known = names.filter((n) => !n.startsWith("_")).map((n) => n.slice(0, -3).replaceAll("_", "-"));
      throw new ConfigError(`apps[${i}]: no fixture app "${app}" in images/apps (known: ${known.join(", ")})`);
    }
  });
  return Promise.all(names.map(async (n) => ({ path: n, content: await readFile(`${dir}/${n}`) })));
}
