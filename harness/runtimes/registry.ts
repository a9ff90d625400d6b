import { PrerequisiteError } from "../core/errors.js";
import { dockerRuntime } from "./docker/adapter.js";
import { localRuntime } from "./local/adapter.js";
import type { RuntimeAdapter, RuntimeSession, SessionOptions } from "./session.js";

/**
 * Every runtime, once, in order of preference: `auto` takes the first that opens, and a cell's
 * result from an earlier one stands for the cell in the tables. Adding a runtime is a folder
 * beside docker/ and local/ and a line here.
 */
export const RUNTIMES = [dockerRuntime(), localRuntime] as const satisfies readonly RuntimeAdapter[];

export type RuntimeName = (typeof RUNTIMES)[number]["name"];
export const RUNTIME_NAMES: readonly string[] = RUNTIMES.map((r) => r.name);
export const RUNTIME_CHOICES: readonly string[] = ["auto", ...RUNTIME_NAMES];
export type RuntimeChoice = "auto" | RuntimeName;

export const runtimeNamed = (name: string, adapters: readonly RuntimeAdapter[] = RUNTIMES): RuntimeAdapter | undefined =>
  adapters.find((r) => r.name === name);

/** The reference order for tables: a lower rank's result of a cell stands for it. */
export const runtimeRank = (name: string) => {
  const i = RUNTIME_NAMES.indexOf(name);
  return i < 0 ? RUNTIME_NAMES.length : i;
};

/**
 * A named runtime must open (else its one-line error, exit 2). auto: the first that opens, in
 * registry order, and the session's note says why an earlier one was passed over.
 */
export async function openRuntime(choice: RuntimeChoice, o: SessionOptions): Promise<RuntimeSession> {
  if (choice !== "auto") {
    const adapter = runtimeNamed(choice);
    if (!adapter) throw new PrerequisiteError(`no runtime named ${choice} (known: ${RUNTIME_NAMES.join(", ")})`);
    return adapter.open(o);
  }
  const passed: string[] = [];
  for (const [i, adapter] of RUNTIMES.entries()) {
    try {
      const session = await adapter.open({ ...o, auto: true });
      return passed.length > 0 ? { ...session, note: `${passed.join("; ")}: running on the ${adapter.name} runtime` } : session;
    } catch (err) {
      if (!(err instanceof PrerequisiteError) || i === RUNTIMES.length - 1) throw err;
      passed.push(err.message.split(": ")[0] ?? err.message);
    }
  }
  throw new PrerequisiteError("no runtime could open");
}
