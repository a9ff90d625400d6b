#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so a checkout needs no build step.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../harness/cli/main.ts");
await runCli(process.argv.slice(2));
