import { Command } from "commander";
import type { Done } from "../done.js";
import { configOption, noWaitOption, outOption, quietOption, repairOption } from "../options.js";

export function reportCommand(done: Done): Command {
  return new Command("report")
    .summary("render the report again from results.json")
    .description("Render README.md, index.html and junit.xml again from <out>/<scenario>/results.json; no servers start.")
    .addOption(configOption())
    .addOption(outOption())
    .addOption(repairOption())
    .addOption(noWaitOption())
    .addOption(quietOption())
    .action(async (flags: unknown) => done(await (await import("./report-action.js")).reportAction(flags)));
}
