import { describe, expect, it } from "vitest";
import { defaultConcurrency } from "../../harness/core/settings.js";

const GiB = 1024 ** 3;

describe("default concurrency", () => {
  it("is one cell per CPU, capped by memory at 1 GiB per cell, and never below one", () => {
    expect(defaultConcurrency(2, 24 * GiB)).toBe(2);
    expect(defaultConcurrency(64, 8 * GiB)).toBe(6);
    expect(defaultConcurrency(8, 0.5 * GiB)).toBe(1);
  });
});
