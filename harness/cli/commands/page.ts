import { Command, Option } from "commander";
import type { Done } from "../done.js";
import { jsonOption } from "../options.js";

const results = () => new Option("--results <dir>", "reports/<scenario>, or its results.json").makeOptionMandatory();

export function pageCommand(done: Done): Command {
  const page = new Command("page")
    .summary("keep a fix page's measured fields current")
    .description(
      "Rewrite or check a fix page's measured fields: its compatibility table, first fixed release, reproduced locally, last verified.",
    );
  page.addCommand(
    new Command("update")
      .summary("rewrite the page's measured fields")
      .description("Rewrite the page's measured fields from the results; every other byte stays as it is.")
      .argument("<page>", "the fix page")
      .addOption(results())
      .addOption(new Option("-q, --quiet", "print nothing but errors"))
      .action(async (file: unknown, flags: unknown) => done(await (await import("./page-action.js")).pageAction("update", file, flags))),
  );
  page.addCommand(
    new Command("check")
      .summary("print what update would change")
      .description("Print what update would change; exit 1 if anything would, 0 if the page is current.")
      .argument("<page>", "the fix page")
      .addOption(results())
      .addOption(jsonOption("the changes"))
      .action(async (file: unknown, flags: unknown) => done(await (await import("./page-action.js")).pageAction("check", file, flags))),
  );
  return page;
}
