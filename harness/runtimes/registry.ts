import { PrerequisiteError } from "../core/errors.js";
import type { RuntimeAdapter, RuntimeSession, SessionOptions } from "./session.js";

/**
 * Every runtime, once, in order of preference: `auto` takes the first that opens, and a cell's
 * result from an earlier one stands for the cell in the tables. Adding a runtime is a folder
 * beside docker/ and local/ and a line here (docs/architecture.md). An adapter loads on first
 * use, so `--help` and the CLI's choices need not load dockerode (0.3 s).
 */
export const RUNTIMES = [
  { name: "docker", load: async () => (await import("./docker/adapter.js")).dockerRuntime() },
  { name: "local", load: async () => (await import("./local/adapter.js")).localRuntime },
] as const satisfies readonly RuntimeEntry[];

export interface RuntimeEntry {
  /** The adapter's own name (a unit test holds them equal). */
  readonly name: string;
  load(): Promise<RuntimeAdapter>;
}

export type RuntimeName = (typeof RUNTIMES)[number]["name"];
export type RuntimeChoice = "auto" | RuntimeName;
export const RUNTIME_NAMES: readonly RuntimeName[] = RUNTIMES.map((r) => r.name);
/** `--runtime`'s choices, as commander and zod take them. */
export const RUNTIME_CHOICES = ["auto", ...RUNTIME_NAMES] as [RuntimeChoice, ...RuntimeChoice[]];

/** Every adapter, in registry order (doctor checks them all). */
export const loadRuntimes = (): Promise<RuntimeAdapter[]> => Promise.all(RUNTIMES.map((r) => r.load()));

/** The reference order for tables: a lower rank's result of a cell stands for it. */
export const runtimeRank = (name: string) => {
  const i = (RUNTIME_NAMES as readonly string[]).indexOf(name);
  return i < 0 ? RUNTIME_NAMES.length : i;
};

/**
 * A named runtime must open (else its one-line error, exit 2). auto: the first that opens, in
 * registry order, and the session's note says why an earlier one was passed over.
 */
export async function openRuntime(choice: RuntimeChoice, o: SessionOptions): Promise<RuntimeSession> {
  if (choice !== "auto") {
    const entry = RUNTIMES.find((r) => r.name === choice);
    if (!entry) throw new PrerequisiteError(`no runtime named ${choice} (known: ${RUNTIME_NAMES.join(", ")})`);
    return (await entry.load()).open(o);
  }
  const passed: string[] = [];
  for (const [i, entry] of RUNTIMES.entries()) {
    const adapter = await entry.load();
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
