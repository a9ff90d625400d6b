/**
 * Reading a scenario's Gunicorn arguments the way Gunicorn's argparse parser will: which ones
 * the harness owns, and which one names a config file. argparse accepts any unambiguous prefix
 * of a long option (`--pre` is `--preload`) and `--opt=value`, and short options take their value
 * joined (`-w4`) or clustered after flags (`-Rw 4`), so an exact match would let them through.
 */

/** Options the harness sets for every cell (or that would take the server out of its hands). */
const OWNED_LONG = ["--bind", "--workers", "--worker-class", "--chdir", "--preload", "--worker-tmp-dir", "--daemon"];
/** -b bind, -w workers, -k worker class, -D daemon. */
const OWNED_SHORT = "bwkD";
/** Short options that take a value: what follows them in a cluster is that value, not more flags. */
const SHORT_WITH_VALUE = "ctenpugm";

/** The owned option an argument would set, if any: `--worker-class` for `--worker-cl=x`, `-w` for `-Rw4`. */
export function ownedOption(arg: string): string | undefined {
  if (arg.startsWith("--")) {
    const name = arg.split("=", 1)[0] as string;
    if (name.length <= 2) return undefined;
    return OWNED_LONG.find((o) => o.startsWith(name));
  }
  if (!/^-[A-Za-z]/.test(arg)) return undefined;
  for (const ch of arg.slice(1)) {
    if (OWNED_SHORT.includes(ch)) return `-${ch}`;
    if (SHORT_WITH_VALUE.includes(ch)) return undefined;
  }
  return undefined;
}

/** `--config` itself, or a prefix of it argparse would read as it (`--conf`). */
const isConfigOption = (name: string) => name.length > 4 && "--config".startsWith(name);

/**
 * The config file an argument list names (`--config f`, `--config=f`, `-c f`, `-cf`): the index
 * of the argument that holds the path, the path, and the text before it in that argument.
 * Gunicorn's `python:module` configs are modules, not files, and are left alone.
 */
export function configFileArg(args: readonly string[]): { index: number; path: string; prefix: string } | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    let found: { index: number; path: string; prefix: string } | undefined;
    if (arg.startsWith("--") && isConfigOption(arg.split("=", 1)[0] as string)) {
      const eq = arg.indexOf("=");
      found =
        eq >= 0
          ? { index: i, path: arg.slice(eq + 1), prefix: arg.slice(0, eq + 1) }
          : { index: i + 1, path: args[i + 1] ?? "", prefix: "" };
    } else if (arg === "-c") found = { index: i + 1, path: args[i + 1] ?? "", prefix: "" };
    else if (arg.startsWith("-c") && !arg.startsWith("--")) found = { index: i, path: arg.slice(2), prefix: "-c" };
    if (found && !found.path.startsWith("python:")) return found;
  }
  return undefined;
}

/** Where config files are placed, relative to the server's app folder: `_config/<path as written>`. */
export const CONFIG_DIR = "_config";
