import { Command } from "commander";
import type { Done } from "../done.js";

export function schemaCommand(done: Done): Command {
  return new Command("schema")
    .summary("print results.json's JSON Schema")
    .description("Print the JSON Schema of results.json (committed as schema/results.schema.json).")
    .action(async () => {
      const { resultsJsonSchema } = await import("../../store/results-schema.js");
      process.stdout.write(`${JSON.stringify(resultsJsonSchema(), null, 2)}\n`);
      done(0);
    });
}
