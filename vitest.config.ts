import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests share one Docker engine and a 2-core machine: run files one at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 900_000,
  },
});
