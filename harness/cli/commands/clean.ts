import { Command, Option } from "commander";
import type { Done } from "../done.js";
import { quietOption } from "../options.js";

export function cleanCommand(done: Done): Command {
  return new Command("clean")
    .summary("remove every container the harness started")
    .description("Remove every container the harness started, a live run's too; with --images also the cached images.")
    .addOption(new Option("--images", "also the cached base, shared and env images"))
    .addOption(quietOption())
    .action(async (flags: unknown) => done(await (await import("./clean-action.js")).cleanAction(flags)));
}
