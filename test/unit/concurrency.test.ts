import { describe, expect, it } from "vitest";
import { cellSlots, defaultConcurrency, memoryBound } from "../../harness/run/concurrency.js";

const GiB = 1024 ** 3;

describe("default concurrency", () => {
  it("is one cell per CPU, capped by memory at 1 GiB per cell, and never below one", () => {
    expect(defaultConcurrency(2, 24 * GiB)).toBe(2);
    expect(defaultConcurrency(64, 8 * GiB)).toBe(6);
    expect(defaultConcurrency(8, 0.5 * GiB)).toBe(1);
    expect(memoryBound(24 * GiB)).toBe(18);
  });
});

/** A cell whose two phases end when the test says so, recording what ran when. */
function fakeCell(log: string[], name: string) {
  let endBusy = () => {};
  let endWait = () => {};
  const busy = new Promise<void>((r) => {
    endBusy = r;
  });
  const wait = new Promise<void>((r) => {
    endWait = r;
  });
  const run = async (waitingOnly: () => void) => {
    log.push(`${name} busy`);
    await busy;
    waitingOnly();
    waitingOnly(); // twice is harmless
    log.push(`${name} waiting`);
    await wait;
    log.push(`${name} done`);
    return name;
  };
  return { run, endBusy, endWait };
}

/** Three fake cells, queued on `slot` in order a, b, c, sharing one log. */
function threeCells(slot: ReturnType<typeof cellSlots>) {
  const log: string[] = [];
  const [a, b, c] = [fakeCell(log, "a"), fakeCell(log, "b"), fakeCell(log, "c")];
  return { log, a, b, c, results: [slot(a.run), slot(b.run), slot(c.run)] };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("cell slots", () => {
  it("lets the next cell start once a cell only waits, but never more busy cells than asked", async () => {
    const { log, a, b, c, results } = threeCells(cellSlots(1, 4));
    await tick();
    expect(log).toEqual(["a busy"]);
    a.endBusy();
    await tick();
    // a is still alive (waiting), and b has its busy slot; c has to wait for b.
    expect(log).toEqual(["a busy", "a waiting", "b busy"]);
    b.endBusy();
    await tick();
    expect(log).toEqual(["a busy", "a waiting", "b busy", "b waiting", "c busy"]);
    for (const cell of [a, b, c]) {
      cell.endBusy();
      cell.endWait();
    }
    expect(await Promise.all(results)).toEqual(["a", "b", "c"]);
  });

  it("counts waiting cells towards the live bound (memory)", async () => {
    const { log, a, b, c, results } = threeCells(cellSlots(1, 2));
    a.endBusy();
    b.endBusy();
    await tick();
    // a and b both wait on their servers: c may not start a third one until one is gone.
    expect(log).toEqual(["a busy", "a waiting", "b busy", "b waiting"]);
    a.endWait();
    await tick();
    expect(log.slice(-2)).toEqual(["a done", "c busy"]);
    c.endBusy();
    b.endWait();
    c.endWait();
    await Promise.all(results);
  });

  it("frees both slots when a cell fails, and returns its failure", async () => {
    const slot = cellSlots(1, 1);
    const failed = slot(async () => {
      throw new Error("engine gone");
    });
    await expect(failed).rejects.toThrow("engine gone");
    await expect(slot(async () => "next")).resolves.toBe("next");
  });
});
