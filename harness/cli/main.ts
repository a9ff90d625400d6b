import type { Command, CommanderError } from "commander";
import { closest, distance } from "fastest-levenshtein";
import { ConfigError } from "../core/errors.js";
import { describeFailure } from "./failure.js";
import { buildProgram } from "./program.js";

/** Commander's outcomes that are no error: help or the version was asked for and printed. */
const ANSWERED = new Set(["commander.helpDisplayed", "commander.version"]);

/** Commander's stop, with the command it concerns (commander's error does not say). */
class CommanderStop extends Error {
  constructor(
    readonly error: CommanderError,
    readonly command: string,
  ) {
    super(error.message);
  }
}

/**
 * Parses argv and runs the command; returns its exit code: 0 done, 1 --fail-on-change saw a
 * change (doctor, page check: a problem found; or a bug), 2 bad input, 3 nightly saw a change,
 * 130 interrupted. A harness error
 * is thrown for runCli to print; a usage error becomes one (exit 2, one line).
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  // Commander would print its error and exit itself: the error comes back here instead, to be
  // said in one line with the command it concerns.
  for (const command of [program, ...subcommands(program)])
    command
      .exitOverride((err) => {
        throw new CommanderStop(err, commandPath(command));
      })
      .configureOutput({ outputError: () => {}, writeErr: (text) => process.stderr.write(text) });
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (!(err instanceof CommanderStop)) throw err;
    if (ANSWERED.has(err.error.code)) return 0;
    // Help printed as an error: no command given (`repro-matrix`, `repro-matrix page`).
    if (err.error.code === "commander.help") return 2;
    throw usageError(err);
  }
  return exitCode;
}

const subcommands = (c: Command): Command[] => c.commands.flatMap((sub) => [sub, ...subcommands(sub)]);

/** `page check`: the command's words below the program's name. */
const commandPath = (c: Command): string => (c.parent ? [commandPath(c.parent), c.name()].filter(Boolean).join(" ") : "");

/** `error: unknown option '--concurency'\n(Did you mean --concurrency?)` as one line naming the command. */
function usageError({ error, command }: CommanderStop): ConfigError {
  const [what = "", hint] = error.message.replace(/^error: /, "").split("\n");
  const suggestion = hint ? `; ${hint.replace(/^\(Did you mean (.*)\)$/, "did you mean $1")}` : "";
  const where = command ? `${command} ` : "";
  const text = error.code === "commander.invalidArgument" ? invalidValue(what) : `${what}${suggestion}`;
  return new ConfigError(`${where ? `${command}: ` : ""}${text} (see repro-matrix ${where}--help)`, { cause: error });
}

/**
 * `option '--runtime <name>' argument 'dockr' is invalid. Allowed choices are auto, docker, local.`
 * as `--runtime: "dockr" is not one of auto, docker, local; did you mean docker?`.
 */
function invalidValue(what: string): string {
  const m = /^option '(?:-\w, )?(--[\w-]+)[^']*' argument '(.*)' is invalid\. (.*)$/s.exec(what);
  if (!m) return what;
  const [, flag, value, why = ""] = m;
  const choices = /^Allowed choices are (.*)\.$/.exec(why)?.[1]?.split(", ");
  if (!choices) return `${flag}: "${value}" is not ${why}`;
  const near = closest(value ?? "", choices);
  const hint = distance(value ?? "", near) <= 2 ? `; did you mean ${near}?` : "";
  return `${flag}: "${value}" is not one of ${choices.join(", ")}${hint}`;
}

/**
 * The process's entry: every failure becomes one line on stderr and an exit code, also an
 * error thrown where nothing awaits it (a timer, a stream): no stack trace reaches the user.
 */
export async function runCli(argv: string[]): Promise<void> {
  const fail = (err: unknown) => {
    const failure = describeFailure(err);
    process.stderr.write(`repro-matrix: ${failure.line}\n`);
    return failure;
  };
  const crash = (err: unknown) => process.exit(fail(err).exitCode);
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    const failure = fail(err);
    process.exitCode = failure.exitCode;
    // Results are written by now; what is left are calls the hung engine never answers.
    if (failure.exitNow) process.exit(failure.exitCode);
  }
}
