import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { EnvHost } from "../../harness/runtimes/docker/env-hosts.js";

// A host's container answers its start once the init runs; the init may not have forked the
// keeper yet. Reading /proc/1/task/1/children before it has found nothing once, on a loaded
// machine, and ended a cold sweep 1012 cells into 1028 with an internal error.
const hostReading = (answers: string[]) => {
  const host = new EnvHost({} as Docker, {} as Docker.Container, "img", { baseUrl: "http://localhost", appDir: "/app" });
  const reads: string[] = [];
  host.run = async (command) => {
    reads.push(command.join(" "));
    return { exitCode: 0, output: answers.shift() ?? "" };
  };
  return { host, reads };
};

describe("an env host's keeper", () => {
  it("is looked for again until the init has forked it", async () => {
    const { host, reads } = hostReading(["", "", "17\n"]);
    expect(await host.keeper()).toBe("17");
    expect(reads).toEqual(Array(3).fill("cat /proc/1/task/1/children"));
    // Read once: clearing up after each server spares the same pid.
    expect(await host.keeper()).toBe("17");
    expect(reads).toHaveLength(3);
  });

  it("is an error naming what was read when it never appears", async () => {
    const { host, reads } = hostReading([]);
    await expect(host.keeper()).rejects.toThrow(/no keeper among the init's children .*read "" 20 times over 5 s/);
    expect(reads).toHaveLength(20);
  }, 20_000);
});
