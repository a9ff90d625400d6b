import { Command, Option } from "commander";
import type { Done } from "../done.js";
import {
  cacheDirOption,
  concurrencyOption,
  configOption,
  daysOption,
  jsonOption,
  noWaitOption,
  onlyOption,
  outOption,
  quietOption,
  repairOption,
  runtimeOption,
  setOption,
  shardOption,
} from "../options.js";

/** What run and verify share: which cells, where, how many at once, and how the run is told; `own` after --set. */
function runOptions(command: Command, own: Option[]): Command {
  for (const option of [configOption(), outOption(), runtimeOption(), onlyOption(), setOption(), ...own]) command.addOption(option);
  return command
    .addOption(new Option("--rebuild", "build again the envs whose build failed before"))
    .addOption(new Option("--resume", "keep the finished cells of a run that was killed"))
    .addOption(new Option("--fail-on-change", "exit 1 when the compatibility table changed"))
    .addOption(shardOption())
    .addOption(concurrencyOption())
    .addOption(new Option("--container-per-cell", "docker: a container per cell, not one per env"))
    .addOption(cacheDirOption())
    .addOption(repairOption())
    .addOption(noWaitOption())
    .addOption(jsonOption("the run's summary"))
    .addOption(quietOption());
}

export function runCommand(done: Done): Command {
  return runOptions(
    new Command("run")
      .summary("run the cells; write results.json and the report")
      .description(
        "Run the scenario's cells (a cell whose recorded result has the same cell key is reused: no server starts), then write <out>/<scenario>/results.json, README.md, index.html and junit.xml.",
      ),
    [
      new Option("--force", "run every cell again, even one with a recorded result"),
      daysOption("--max-age <days>", "run again results verified over <days> ago, e.g. 30d"),
    ],
  ).action(async (flags: unknown) => done(await (await import("./run-action.js")).runAction("run", flags)));
}

export function verifyCommand(done: Done): Command {
  return runOptions(
    new Command("verify")
      .summary("re-run only the cells verified over --stale ago")
      .description("Re-run only the cells last verified more than --stale ago (on any runtime), so their dates move."),
    [daysOption("--stale <days>", "the cells verified over <days> ago, e.g. 30d").makeOptionMandatory()],
  ).action(async (flags: unknown) => done(await (await import("./run-action.js")).runAction("verify", flags)));
}
