import { describe, expect, it } from "vitest";
import { defaultConcurrency, serversAtOnce } from "../../harness/core/settings.js";

const GiB = 1024 ** 3;

describe("default concurrency", () => {
  it("is one cell per CPU, capped by memory at 1 GiB per cell, and never below one", () => {
    expect(defaultConcurrency(2, 24 * GiB)).toBe(2);
    expect(defaultConcurrency(64, 8 * GiB)).toBe(6);
    expect(defaultConcurrency(8, 0.5 * GiB)).toBe(1);
  });
});

describe("servers up at once", () => {
  it("are the cell turns and two stopping servers per turn, within three quarters of the memory at 1 GiB each", () => {
    expect(serversAtOnce(2, 24 * GiB)).toBe(6);
    expect(serversAtOnce(16, 24 * GiB)).toBe(18);
    expect(serversAtOnce(2, 4 * GiB)).toBe(3);
    // Never fewer than the turns a user asked for: --concurrency is theirs to choose.
    expect(serversAtOnce(8, 2 * GiB)).toBe(8);
  });
});
