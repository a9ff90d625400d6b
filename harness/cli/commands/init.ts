import { Command, Option } from "commander";
import type { Done } from "../done.js";

export function initCommand(done: Done): Command {
  return new Command("init")
    .summary("scaffold a scenario from a fix page")
    .description("Scaffold a scenario (signature, package, claimed version, trigger, worker classes) from a fix page.")
    .addOption(new Option("--from-page <page>", "the fix page to read").makeOptionMandatory())
    .addOption(new Option("--out <file>", "a new file to write (default stdout)"))
    .action(async (flags: unknown) => done(await (await import("./init-action.js")).initAction(flags)));
}
