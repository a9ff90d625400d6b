import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { SHARED_REPO } from "../../harness/runtimes/docker/env-image.js";
import { CACHE_DIR, itScenario, runScenario, tempDir } from "../helpers/harness.js";

const SCENARIO = itScenario(
  "it-env-layers",
  `packages:
  uvicorn: [0.38.0, 0.39.0]
  gunicorn: 23.0.0
resolution: { strategy: as-of-release, anchor: uvicorn }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [plain]
`,
);

describe("env images in layers, on the real engine", () => {
  it("two releases get their own env images on one shared layer holding the venv, build tools and gunicorn", async () => {
    const { records, docker } = await runScenario(SCENARIO, await tempDir("env-layers"));
    const cells = records as CellRecord[];
    expect(cells.map((c) => c.outcome)).toEqual(["clean", "clean"]);
    const images = cells.map((c) => c.image as string);
    expect(new Set(images).size).toBe(2);

    const sharedUnder = async (image: string) => {
      const history = (await docker?.getImage(image).history()) as { Id: string; Tags: string[] | null }[];
      return history.find((layer) => (layer.Tags ?? []).some((t) => t.startsWith(`${SHARED_REPO}:`)));
    };
    const [a, b] = await Promise.all(images.map(sharedUnder));
    expect(a?.Id).toBeDefined();
    expect(a?.Id).toBe(b?.Id);

    // The shared layer alone already runs gunicorn 23.0.0 (pinned), but has no uvicorn (the release's own).
    const shared = (a?.Tags ?? []).find((t) => t.startsWith(`${SHARED_REPO}:`)) as string;
    const runIn = async (image: string, cmd: string[]) => {
      const container = await (docker as NonNullable<typeof docker>).createContainer({
        Image: image,
        Cmd: cmd,
        HostConfig: { NetworkMode: "none" },
      });
      try {
        await container.start();
        const { StatusCode } = (await container.wait()) as { StatusCode: number };
        const output = String(await container.logs({ stdout: true, stderr: true }));
        return { StatusCode, output };
      } finally {
        await container.remove({ force: true });
      }
    };
    const run = (cmd: string[]) => runIn(shared, cmd);
    expect(await run(["/opt/venv/bin/gunicorn", "--version"])).toMatchObject({ StatusCode: 0, output: expect.stringContaining("23.0.0") });
    expect((await run(["/opt/venv/bin/python", "-c", "import uvicorn"])).output).toContain("No module named 'uvicorn'");

    // Each release's layer is installed by the harness's uv (the shared layer holds it), bytecode
    // compiled as pip would; pip's own freeze of it equals the lock (else the cell would be install-failed).
    expect(await run(["/opt/repro-matrix/uv", "--version"])).toMatchObject({ StatusCode: 0, output: expect.stringContaining("uv 0.13.9") });
    for (const image of images) {
      const steps = (await docker?.getImage(image).history()) as { CreatedBy: string }[];
      expect(
        steps.some((st) => st.CreatedBy.includes("/opt/repro-matrix/uv pip install") && st.CreatedBy.includes("--compile-bytecode")),
      ).toBe(true);
    }
    for (const c of cells) expect(c.evidence.packages).toContain(`uvicorn==${c.packages.uvicorn}`);

    // Built again (images and their recorded freezes gone): the freeze comes from the build's own
    // output, so the only container started from each env image is its cells' server.
    const engine = docker as NonNullable<typeof docker>;
    for (const image of images) {
      // By id, so no other tag keeps it (and its RUN step) in the build cache.
      await engine.getImage((await engine.getImage(image).inspect()).Id).remove({ force: true });
      await rm(join(CACHE_DIR, "freezes", `${image.replace(/[^\w.-]+/g, "_")}.txt`), { force: true });
    }
    // The engine's `since` counts whole seconds: the first run's last containers (its freeze read,
    // on a cache without the freezes) may share that second, so events are held to this moment.
    const sinceMs = Date.now();
    const since = Math.floor(sinceMs / 1000) - 1;
    const again = await runScenario(SCENARIO, await tempDir("env-layers-again"));
    expect(again.records.map((c) => c.outcome)).toEqual(["clean", "clean"]);
    expect(again.records.map((c) => c.image).sort()).toEqual([...images].sort());
    const until = Math.floor(Date.now() / 1000) + 1;
    // With `until` the engine sends the events so far and ends the stream.
    const stream = (await engine.getEvents({
      since,
      until,
      filters: JSON.stringify({ type: ["container"], event: ["create"] }),
    } as never)) as unknown as NodeJS.ReadableStream;
    let text = "";
    for await (const chunk of stream) text += String(chunk);
    const events = text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { timeNano: number; Actor: { Attributes: { image?: string } } })
      .filter((e) => e.timeNano / 1e6 >= sinceMs);
    for (const image of images) {
      expect(events.filter((e) => e.Actor.Attributes.image === image)).toHaveLength(1);
      const recorded = await readFile(join(CACHE_DIR, "freezes", `${image.replace(/[^\w.-]+/g, "_")}.txt`), "utf8");
      const inImage = (await runIn(image, ["cat", "/opt/venv/freeze.txt"])).output;
      expect(recorded).toContain(`uvicorn==`);
      for (const line of recorded.trim().split("\n")) expect(inImage).toContain(line);
    }
  }, 300_000);
});
