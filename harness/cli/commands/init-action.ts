import { writeFile } from "node:fs/promises";
import { z } from "zod";
import { parseScenario } from "../../config/load.js";
import { ConfigError } from "../../core/errors.js";
import { parsePage } from "../../pages/parse-page.js";
import { scaffoldScenario } from "../../pages/scaffold.js";
import { checkNewFile } from "../paths.js";
import { readText } from "./page-action.js";

const InitFlags = z.strictObject({ fromPage: z.string(), out: z.string().optional() });

/** `init --from-page <page> [--out <file>]`: the scaffolded scenario on stdout or in a new file. */
export async function initAction(flags: unknown): Promise<number> {
  const f = InitFlags.parse(flags);
  if (f.out) await checkNewFile("--out", f.out);
  const yaml = scaffoldScenario(parsePage(await readText(f.fromPage), f.fromPage), f.fromPage);
  // What init writes must load, or the user's first `run` would fail on the harness's own text.
  parseScenario(yaml, f.out ?? "scaffolded scenario");
  if (!f.out) {
    process.stdout.write(yaml);
    return 0;
  }
  await writeNew(f.out, yaml);
  process.stderr.write(`wrote ${f.out}; review it, then: repro-matrix run --config ${f.out}\n`);
  return 0;
}

async function writeNew(file: string, text: string): Promise<void> {
  try {
    // "wx": fail rather than replace, also when the file appears between the check and the write.
    await writeFile(file, text, { flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new ConfigError(`${file}: already exists; init never overwrites a scenario, choose another --out or remove it`, { cause: err });
    throw err;
  }
}
