import { pack } from "tar-stream";
import { describe, expect, it } from "vitest";
import { baseImageProvider } from "../../harness/runtimes/docker/base-image-provider.js";
import { connectDocker } from "../../harness/runtimes/docker/docker-engine.js";
import { BUILD_OPTIONS } from "../../harness/runtimes/docker/env-image.js";
import { CACHE_DIR } from "../helpers/harness.js";

// Real engine: a build with the harness's options runs its steps at a low CPU weight, so env
// builds overlapping with cells take only the CPU the cells leave idle.
describe("env builds", () => {
  it("run their steps at an eighth of a cell's CPU weight", async () => {
    const docker = await connectDocker();
    const signal = new AbortController().signal;
    const { ref: base } = await baseImageProvider("debian:bullseye", CACHE_DIR).ensure(docker, signal);
    const tar = pack();
    // The step prints its own cgroup's weight: cpu.shares (cgroup v1) or cpu.weight (v2, where 1024 shares map to 100).
    // The date keeps the engine from answering with a cached step.
    const step = `cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || echo "weight $(cat /sys/fs/cgroup/cpu.weight)"; echo ${Date.now()}`;
    tar.entry({ name: "Dockerfile" }, `FROM ${base}\nRUN ${step}\n`);
    tar.finalize();
    const tag = `repro-matrix-test-build-priority:${Date.now()}`;
    const stream = await docker.buildImage(tar as unknown as NodeJS.ReadableStream, { t: tag, ...BUILD_OPTIONS });
    const output: string[] = [];
    try {
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (e: { stream?: string; error?: string }) => output.push(e.stream ?? e.error ?? ""),
        ),
      );
    } finally {
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    }
    const printed = output.join("");
    // v1 prints the shares as given; v2's weight for 128 shares is 1 + (128 - 2) * 9999 / 262142, i.e. 5.
    expect(printed).toMatch(/^(128|weight 5)$/m);
  }, 120_000);
});
