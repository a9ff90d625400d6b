import { Command } from "commander";
import type { Done } from "../done.js";
import { cacheDirOption, configOption, jsonOption, runtimeOption } from "../options.js";

export function doctorCommand(done: Done): Command {
  return new Command("doctor")
    .summary("check this machine before a run, with fixes")
    .description(
      "Check the engine, disk, Pythons, tools and indexes a run needs: one line per check, the fix under each problem. Exit 1 if any check fails (a bad config is a failed check).",
    )
    .addOption(configOption())
    .addOption(cacheDirOption())
    .addOption(runtimeOption())
    .addOption(jsonOption("the checks"))
    .action(async (flags: unknown) => done(await (await import("./doctor-action.js")).doctorAction(flags)));
}
