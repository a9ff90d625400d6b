import { loadScenario } from "../config/load.js";
import type { Scenario } from "../config/schema.js";
import { type Check, fail, ok } from "../core/check.js";
import { ConfigError } from "../core/errors.js";

/**
 * The scenario loads as `run` would load it. A config that does not is a failed check with
 * ConfigError's own line (file, line, field), and the other checks run without it.
 */
export async function checkConfig(file: string): Promise<{ check: Check; scenario?: Scenario }> {
  try {
    const scenario = await loadScenario(file);
    const pythons = Object.keys(scenario.python).join(", ");
    return { check: ok("config", `${file}: scenario ${scenario.scenario}, Python ${pythons}`), scenario };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const unreadable = err.message.startsWith(`${file}: cannot read`);
    const fix = unreadable
      ? "pass --config <file>, or run where matrix.yaml is"
      : `correct the field named above in ${file} (the README lists the fields)`;
    return { check: fail("config", err.message, fix) };
  }
}
