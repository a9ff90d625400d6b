import { readFileSync } from "node:fs";

/** Part of every result, so a report says which harness produced it. */
export const HARNESS_VERSION: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
