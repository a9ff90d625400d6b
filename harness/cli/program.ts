import { Command, type Help, type Option } from "commander";
import { HARNESS_VERSION } from "../core/version.js";
import { bisectCommand } from "./commands/bisect.js";
import { cleanCommand } from "./commands/clean.js";
import { doctorCommand } from "./commands/doctor.js";
import { initCommand } from "./commands/init.js";
import { mergeCommand } from "./commands/merge.js";
import { nightlyCommand } from "./commands/nightly.js";
import { pageCommand } from "./commands/page.js";
import { reportCommand } from "./commands/report.js";
import { runCommand, verifyCommand } from "./commands/run.js";
import { schemaCommand } from "./commands/schema.js";
import type { Done } from "./done.js";

const EXIT_CODES = `
Exit codes: 0 done (whatever the outcomes); 1 --fail-on-change saw the table
change, or doctor / page check found something to fix, or a bug; 2 bad input or
a missing prerequisite; 3 nightly saw a change; 130 interrupted. Details:
docs/cli.md.`;

/** `(default matrix.yaml)`, without commander's quotes and choice lists: one line per option. */
function optionDescription(option: Option): string {
  const value = option.defaultValueDescription ?? option.defaultValue;
  return value === undefined || value === false ? option.description : `${option.description} (default ${value})`;
}

/** `merge <dir...>`: the command list without "[options]", which every command has. */
function subcommandTerm(command: Command): string {
  const args = command.registeredArguments.map((a) => (a.required ? `<${a.name()}${a.variadic ? "..." : ""}>` : `[${a.name()}]`));
  return [command.name(), ...args].join(" ");
}

const HELP: Partial<Help> = { optionDescription, subcommandTerm, sortSubcommands: false };

/** The same help layout, help flag and help command on every level (page's subcommands too). */
function configure(command: Command): Command {
  command.configureHelp(HELP).helpOption("-h, --help", "print help");
  if (command.commands.length > 0) command.helpCommand("help [command]", "print a command's help");
  for (const sub of command.commands) configure(sub);
  return command;
}

/**
 * The CLI: one small module per command under commands/, each defining its options and loading
 * what it runs only when it runs, so `--help` and `--version` start without the harness.
 */
export function buildProgram(done: Done): Command {
  const program = new Command("repro-matrix")
    .description("Boot real Gunicorn + uvicorn servers across a matrix of versions, to settle whether a bug is real and where.")
    .version(HARNESS_VERSION, "-V, --version", "print the version")
    .addHelpText("after", EXIT_CODES);
  for (const command of [
    runCommand(done),
    verifyCommand(done),
    reportCommand(done),
    mergeCommand(done),
    bisectCommand(done),
    nightlyCommand(done),
    pageCommand(done),
    initCommand(done),
    doctorCommand(done),
    schemaCommand(done),
    cleanCommand(done),
  ])
    program.addCommand(command);
  return configure(program);
}
