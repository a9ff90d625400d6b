import { execa } from "execa";
import { describe, expect, it } from "vitest";

/**
 * The harness's shape as a check the suite runs (issue #17), not only `npm run lint` by hand:
 * dependency-cruiser's rules in .dependency-cruiser.cjs (no cycles, stages import downward,
 * adapters reached through the registry only) and biome's.
 */
describe("the harness's shape", () => {
  it("keeps dependency-cruiser's rules", { timeout: 120_000 }, async () => {
    const r = await execa("npx", ["depcruise", "harness"], { reject: false });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/no dependency violations found/);
  });

  it("keeps biome's rules", { timeout: 120_000 }, async () => {
    const r = await execa("npx", ["biome", "check", "harness", "test", "bench", "bin"], { reject: false });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
  });
});
