import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One temporary folder per run, for the tests and the harness processes they start; removed at the end.
    globalSetup: ["test/helpers/temp-root.ts"],
    // Integration tests share one Docker engine and a 2-core machine: run files one at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 900_000,
  },
});
