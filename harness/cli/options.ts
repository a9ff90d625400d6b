import { InvalidArgumentError, Option } from "commander";
import { ConfigError } from "../core/errors.js";
import { defaultCacheDir, defaultConcurrency } from "../core/settings.js";
import { parseShard } from "../plan/shard.js";
import { RUNTIME_CHOICES, RUNTIME_NAMES } from "../runtimes/registry.js";

/**
 * The options several commands share, each defined once: a command adds the ones it uses, so a
 * flag it would ignore is refused as unknown. Values are checked as they are parsed (a bad one
 * is a usage error, exit 2); paths are checked by paths.ts before anything is read or written.
 */

/** More cells at once than this only queues them behind the engine, and a typo (1e6) must not start a million. */
export const MAX_CONCURRENCY = 64;

/** Node's Date holds ±8.64e15 ms around 1970: a day count past that makes no date to compare with. */
const MAX_DATE_MS = 8.64e15;

/** `--concurrency 4`: a whole number within bounds, as written (no 1e3, no 4.0). */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
    return n;
  };
}

/** `30d` -> 30, refused when the date that many days ago is outside what a Date can hold. */
export function days(value: string, now = Date.now()): number {
  const n = Number(/^(\d+)d$/.exec(value)?.[1] ?? Number.NaN);
  if (Number.isNaN(n)) throw new InvalidArgumentError("a number of days such as 30d");
  if (now - n * 86_400_000 < -MAX_DATE_MS)
    throw new InvalidArgumentError(`a number of days up to ${Math.floor((now + MAX_DATE_MS) / 86_400_000)}d (dates end there)`);
  return n;
}

/** A parser of the harness's own that throws ConfigError, as a commander parser (its message, exit 2). */
function viaConfigError<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      // `--shard: "9/4" is not i/n …`: main says the flag and the value itself.
      if (err instanceof ConfigError) throw new InvalidArgumentError(err.message.replace(/^--[\w-]+: "[^"]*" is not /, ""));
      throw err;
    }
  };
}

/** Repeatable options (`--set a=1 --set b=2`) collect their values in order. */
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export const configOption = () => new Option("--config <file>", "the scenario file").default("matrix.yaml");
export const outOption = () => new Option("--out <dir>", "reports go to <dir>/<scenario>/").default("reports");
export const cacheDirOption = () =>
  new Option("--cache-dir <dir>", "the cache").default(defaultCacheDir(), "$REPRO_MATRIX_CACHE or .cache");
export const runtimeOption = () =>
  new Option("--runtime <name>", `${RUNTIME_NAMES.join(", ")}, or auto: first that opens`).choices(RUNTIME_CHOICES).default("auto");
export const concurrencyOption = () =>
  new Option("--concurrency <n>", `cells at once, 1 to ${MAX_CONCURRENCY}`)
    .default(defaultConcurrency())
    .argParser(wholeNumber(1, MAX_CONCURRENCY));
export const onlyOption = () => new Option("--only <terms>", "only cells matching field=value terms or cell ids");
export const setOption = () => new Option("--set <pkg=versions>", "run these versions of a package axis (repeatable)").argParser(collect);
export const shardOption = () =>
  new Option("--shard <i/n>", "run slice i of n (whole envs), e.g. in CI jobs").argParser(viaConfigError(parseShard));
export const daysOption = (flags: string, description: string) => new Option(flags, description).argParser((v) => days(v));
export const repairOption = () => new Option("--repair", "keep the valid cells of a damaged results.json");
export const noWaitOption = () => new Option("--no-wait", "exit 2, not wait, if another run holds the folder");
export const quietOption = () => new Option("-q, --quiet", "print no progress, only errors");
export const jsonOption = (what: string) => new Option("--json", `print ${what} as JSON on stdout`);
