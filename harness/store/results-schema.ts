import { z } from "zod";
import { RESULTS_SCHEMA_VERSION } from "./results-file.js";
import { StoredResults } from "./stored-results.js";

/**
 * results.json's format as JSON Schema, for tools that read it without this code. Generated
 * from the same zod schema the harness validates with, so the two cannot drift; the committed
 * copy (schema/results.schema.json) is checked against it by a test. It describes the file as
 * stored (envs and machines by key, log lines as runs), not the harness's in-memory cells.
 */
export function resultsJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(StoredResults, { io: "input", unrepresentable: "any" }),
    $id: `https://github.com/repro-matrix/repro-matrix/schema/results.v${RESULTS_SCHEMA_VERSION}.schema.json`,
    title: `repro-matrix results.json, schema version ${RESULTS_SCHEMA_VERSION}`,
  };
}
