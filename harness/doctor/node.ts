import { type Check, fail, ok } from "../core/check.js";

/** package.json's engines field. */
export const MIN_NODE_MAJOR = 22;

export function checkNode(version: string = process.versions.node): Check {
  const major = Number(version.split(".")[0]);
  if (major >= MIN_NODE_MAJOR) return ok("node", `Node.js ${version}`);
  return fail(
    "node",
    `Node.js ${version} is older than ${MIN_NODE_MAJOR}`,
    `install Node.js ${MIN_NODE_MAJOR} or newer (.ci/run shows how)`,
  );
}
