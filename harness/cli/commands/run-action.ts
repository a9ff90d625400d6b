import { join } from "node:path";
import { z } from "zod";
import { loadScenario } from "../../config/load.js";
import type { RunFinished } from "../../report/run-summary.js";
import { summaryJson } from "../../report/run-summary.js";
import { progressReporter } from "../../report/terminal.js";
import { runMatrix } from "../../run/run-matrix.js";
import { RUNTIME_CHOICES } from "../../runtimes/registry.js";
import { interruptible } from "../interrupt.js";
import { checkInputFile, checkOutputFolder, checkReportFolder } from "../paths.js";
import { withVersions } from "../set-versions.js";

/** run's and verify's flags as commander parsed them (values already checked by options.ts). */
const RunFlags = z.strictObject({
  config: z.string(),
  out: z.string(),
  runtime: z.enum(RUNTIME_CHOICES),
  only: z.string().optional(),
  set: z.array(z.string()).optional(),
  force: z.boolean().optional(),
  rebuild: z.boolean().optional(),
  resume: z.boolean().optional(),
  maxAge: z.number().optional(),
  stale: z.number().optional(),
  failOnChange: z.boolean().optional(),
  shard: z.strictObject({ index: z.number(), count: z.number() }).optional(),
  concurrency: z.number(),
  containerPerCell: z.boolean().optional(),
  cacheDir: z.string(),
  repair: z.boolean().optional(),
  /** false with --no-wait. */
  wait: z.boolean(),
  json: z.boolean().optional(),
  quiet: z.boolean().optional(),
});

/** `run` and `verify`: 0 completed, 1 with --fail-on-change when the table moved, 130 interrupted. */
export async function runAction(command: "run" | "verify", flags: unknown): Promise<number> {
  const f = RunFlags.parse(flags);
  await checkInputFile("--config", f.config);
  await checkOutputFolder("--out", f.out);
  await checkOutputFolder("--cache-dir", f.cacheDir);
  const scenario = withVersions(await loadScenario(f.config), f.set ?? [], f.config);
  await checkReportFolder("--out", join(f.out, scenario.scenario));
  using reporter = progressReporter(process.stderr, { quiet: Boolean(f.quiet) });
  let finished: RunFinished | undefined;
  let changed = false;
  const exit = await interruptible(async (signal) => {
    const { changes } = await runMatrix({
      scenario,
      runtime: f.runtime,
      configFile: f.config,
      outDir: f.out,
      cacheDir: f.cacheDir,
      ...(f.only ? { only: f.only } : {}),
      force: Boolean(f.force),
      rebuild: Boolean(f.rebuild),
      resume: Boolean(f.resume),
      ...(f.shard ? { shard: f.shard } : {}),
      concurrency: f.concurrency,
      containerPerCell: Boolean(f.containerPerCell),
      keepCellsOutsideMatrix: (f.set ?? []).length > 0,
      repair: Boolean(f.repair),
      noWait: !f.wait,
      ...(f.maxAge !== undefined ? { maxAgeDays: f.maxAge } : {}),
      ...(command === "verify" && f.stale !== undefined ? { staleDays: f.stale } : {}),
      signal,
      onEvent: (e) => {
        if (e.type === "run-finished") finished = e;
        // Waiting for another run's lock, a repaired results.json: seen even with --quiet.
        if (e.type === "note") reporter.notice(e.text);
        else reporter.onEvent(e);
      },
    });
    changed = changes.length > 0;
  }, reporter.notice);
  if (f.json && finished) process.stdout.write(`${summaryJson(finished)}\n`);
  // --fail-on-change: a nightly job fails when the table moved, so someone looks.
  return exit === 0 && changed && f.failOnChange ? 1 : exit;
}
