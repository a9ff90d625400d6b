import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { SHARED_REPO } from "../../harness/runtimes/docker/env-image.js";
import { itScenario, runScenario, tempDir } from "../helpers/harness.js";

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
    const run = async (cmd: string[]) => {
      const container = await (docker as NonNullable<typeof docker>).createContainer({
        Image: shared,
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
  }, 300_000);
});
