import { Command } from "commander";
import type { Done } from "../done.js";
import { noWaitOption, outOption, quietOption } from "../options.js";

export function mergeCommand(done: Done): Command {
  return new Command("merge")
    .summary("merge shard runs into one results.json and report")
    .description("Merge the results of shard runs (run --shard i/n) into the results.json and report one unsharded run writes.")
    .argument("<dir...>", "shard output folders (each holds <scenario>/results.json)")
    .addOption(outOption())
    .addOption(noWaitOption())
    .addOption(quietOption())
    .action(async (dirs: unknown, flags: unknown) => done(await (await import("./merge-action.js")).mergeAction(dirs, flags)));
}
