import { Command, Option } from "commander";
import type { Done } from "../done.js";
import {
  cacheDirOption,
  concurrencyOption,
  daysOption,
  MAX_CONCURRENCY,
  outOption,
  quietOption,
  runtimeOption,
  shardOption,
  wholeNumber,
} from "../options.js";

/** Repeatable (`--scenario a --scenario b`), or a comma list. */
const names = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(",").filter(Boolean)];

export function nightlyCommand(done: Done): Command {
  return new Command("nightly")
    .summary("a night: every scenario's new, changed and stale cells, pages, index, summary")
    .description(
      "For every scenario of the catalog: find new releases, run new, changed and stale cells (or one shard of them, or merge the shards), write its report and fix page; then the catalog index and a summary of what changed. Exit 3 when something a reader would care about changed (a row, a status, a new failure, the verdict, cells not run), 0 when only dates moved.",
    )
    .addOption(new Option("--catalog <file>", "the scenarios and pages").default("scenarios/catalog.yaml"))
    .addOption(outOption())
    .addOption(daysOption("--max-age <days>", "run again results verified over <days> ago").default(30, "30d"))
    .addOption(new Option("--scenario <name>", "only this scenario of the catalog (repeatable)").argParser(names))
    .addOption(new Option("--summary <file>", "also write the summary as markdown to <file>"))
    .addOption(shardOption())
    .addOption(new Option("--merge <dir>", "no cells: merge the shards under <dir>"))
    .addOption(new Option("--shards <n>", "with --merge: the shards each scenario had").argParser(wholeNumber(1, MAX_CONCURRENCY)))
    .addOption(new Option("--no-run", "no cells: pages and index from the results"))
    .addOption(new Option("--list", "print the scenarios' names as JSON"))
    .addOption(runtimeOption())
    .addOption(concurrencyOption())
    .addOption(new Option("--container-per-cell", "docker: a container per cell, not one per env"))
    .addOption(cacheDirOption())
    .addOption(quietOption())
    .action(async (flags: unknown) => done(await (await import("./nightly-action.js")).nightlyAction(flags)));
}
