import { readFileSync } from "node:fs";
import { PACKAGE_ROOT } from "./source-root.js";

/** Part of every result, so a report says which harness produced it. */
export const HARNESS_VERSION: string = JSON.parse(readFileSync(new URL("package.json", PACKAGE_ROOT), "utf8")).version;
