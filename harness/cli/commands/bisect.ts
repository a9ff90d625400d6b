import { Command, Option } from "commander";
import type { Done } from "../done.js";
import { cacheDirOption, configOption, runtimeOption } from "../options.js";

export function bisectCommand(done: Done): Command {
  return (
    new Command("bisect")
      .summary("find where the outcome changes, in O(log n) cells")
      .description(
        "For one configuration (--where pins every axis but the searched package), find the versions where the outcome changes, and print the commands that reproduce both sides.",
      )
      .addOption(new Option("--where <terms>", "the configuration to search, in --only syntax").makeOptionMandatory())
      // Default: the claim's, else the one package axis with several versions, else the anchor (runBisect).
      .addOption(new Option("--package <name>", "the package to search (default: the claim's)"))
      .addOption(new Option("--versions <range>", "a PEP 440 range or all (default the scenario's)"))
      .addOption(new Option("--affected <version>", "a version known to reproduce: the search starts from it"))
      .addOption(new Option("--cross-check", "also test the middle of each discarded half"))
      .addOption(configOption())
      .addOption(runtimeOption())
      .addOption(cacheDirOption())
      .action(async (flags: unknown) => done(await (await import("./bisect-action.js")).bisectAction(flags)))
  );
}
