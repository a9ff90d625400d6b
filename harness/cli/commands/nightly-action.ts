import { dirname, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../../core/errors.js";
import { writeAtomic } from "../../core/json-file.js";
import { loadCatalog } from "../../nightly/catalog.js";
import { runNightly } from "../../nightly/run-night.js";
import { renderNightMarkdown, renderNightText } from "../../nightly/summary.js";
import type { NightSummary } from "../../nightly/types.js";
import { progressReporter } from "../../report/terminal.js";
import { RUNTIME_CHOICES } from "../../runtimes/registry.js";
import { interruptible } from "../interrupt.js";
import { checkInputFile, checkInputFolder, checkOutputFolder } from "../paths.js";

/** nightly's flags as commander parsed them (values already checked by options.ts). */
const NightlyFlags = z.strictObject({
  catalog: z.string(),
  out: z.string(),
  maxAge: z.number(),
  scenario: z.array(z.string()).optional(),
  summary: z.string().optional(),
  shard: z.strictObject({ index: z.number(), count: z.number() }).optional(),
  merge: z.string().optional(),
  shards: z.number().optional(),
  run: z.boolean(),
  list: z.boolean().optional(),
  runtime: z.enum(RUNTIME_CHOICES),
  concurrency: z.number(),
  containerPerCell: z.boolean().optional(),
  cacheDir: z.string(),
  quiet: z.boolean().optional(),
});
type NightlyFlags = z.infer<typeof NightlyFlags>;

/**
 * `nightly`: 0 nothing a reader would care about changed (or a shard ran), NIGHT_CHANGED_EXIT_CODE
 * something did, 2 bad input, 130 interrupted, 1 a bug. Not 1 for a change: a workflow that opens
 * a pull request on "changed" must not open one on a crash.
 */
export const NIGHT_CHANGED_EXIT_CODE = 3;
export async function nightlyAction(flags: unknown): Promise<number> {
  const f = NightlyFlags.parse(flags);
  await checkInputFile("--catalog", f.catalog);
  if (f.list) {
    // For CI's job matrix: the scenarios' names, as JSON.
    process.stdout.write(`${JSON.stringify((await loadCatalog(f.catalog)).entries.map((e) => e.scenario.scenario))}\n`);
    return 0;
  }
  await checkFlags(f);
  using reporter = progressReporter(process.stderr, { quiet: Boolean(f.quiet) });
  let summary: NightSummary | undefined;
  const exit = await interruptible(
    async (signal) => {
      summary = await runNightly({
        catalogFile: f.catalog,
        outDir: f.out,
        cacheDir: f.cacheDir,
        runtime: f.runtime,
        concurrency: f.concurrency,
        maxAgeDays: f.maxAge,
        ...(f.scenario ? { scenarios: f.scenario } : {}),
        ...(f.shard ? { shard: f.shard } : {}),
        ...(f.merge !== undefined ? { merge: { dir: f.merge, shardCount: f.shards as number } } : {}),
        noRun: !f.run,
        containerPerCell: Boolean(f.containerPerCell),
        signal,
        onEvent: (e) => reporter.onEvent(e),
        // Which scenario the night is at: progress, so --quiet leaves it out.
        ...(f.quiet ? {} : { say: (line: string) => reporter.notice(line) }),
      });
    },
    (line) => reporter.notice(line),
  );
  if (exit !== 0 || !summary) return exit;
  if (f.summary) await writeAtomic(f.summary, renderNightMarkdown(summary));
  process.stdout.write(renderNightText(summary));
  return summary.changed ? NIGHT_CHANGED_EXIT_CODE : 0;
}

/** One night at a time, with what it needs: the paths it reads and writes, and --shards with --merge. */
async function checkFlags(f: NightlyFlags): Promise<void> {
  if ([f.merge !== undefined, f.shard !== undefined, !f.run].filter(Boolean).length > 1)
    throw new ConfigError("nightly: --shard, --merge and --no-run are different nights; give one of them");
  if (f.merge !== undefined && f.shards === undefined)
    throw new ConfigError("nightly --merge: --shards n is required, n the number of shards each scenario was split into");
  if (f.merge !== undefined) await checkInputFolder("--merge", f.merge);
  await checkOutputFolder("--out", f.out);
  await checkOutputFolder("--cache-dir", f.cacheDir);
  if (f.summary) await checkOutputFolder("--summary", dirname(resolve(f.summary)));
}
