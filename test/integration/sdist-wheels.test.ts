import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { WHEEL_REPO } from "../../harness/runtimes/docker/env-image.js";
import { CACHE_DIR, itScenario, runScenario, tempDir } from "../helpers/harness.js";
import { makeBrokenSdist, makeSdist, makeWheel } from "../helpers/local-wheel.js";

/**
 * Two releases that both need an sdist of the test's own, on a find-links folder. It comes in as
 * the dependency of a pinned wheel (\`needs\`): pinned axis packages go in the shared layer, while
 * what the lock resolves goes in each release's own.
 */
async function twoReleasesNeeding(name: string, dists: string, sdist: string): Promise<string> {
  await makeWheel(dists, `needs-${sdist}`, "1.0", [sdist]);
  return itScenario(
    name,
    `packages:
  uvicorn: [0.38.0, 0.39.0]
  gunicorn: 23.0.0
  needs-${sdist}: ["1.0"]
index: { findLinks: [dists] }
resolution: { strategy: as-of-release, anchor: uvicorn }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [false]
workers: 2
apps: [plain]
`,
  );
}

/** Wheel images built since `since` (Unix seconds) whose build step compiled this sdist file. */
async function wheelImagesOf(docker: Docker, sdist: string, since: number): Promise<string[]> {
  const images = (await docker.listImages({ filters: { reference: [WHEEL_REPO] } })).filter((i) => i.Created >= since);
  const found: string[] = [];
  for (const image of images) {
    const history = (await docker.getImage(image.Id).history()) as { CreatedBy: string }[];
    if (history.some((step) => step.CreatedBy.includes(`/wheels/${sdist}`))) found.push(image.Id);
  }
  return found;
}

describe("sdists compile once per toolchain, on the real engine", () => {
  it("two releases that pin one sdist install the wheel it was compiled into once", async () => {
    const out = await tempDir("sdist-once");
    await mkdir(join(out, "dists"));
    // A new file each run, so the build is not an earlier run's cached image.
    const startedAt = Math.floor(Date.now() / 1000) - 1;
    await makeSdist(join(out, "dists"), "onceext", "1.0", randomUUID());
    const scenario = await twoReleasesNeeding("it-sdist-once", join(out, "dists"), "onceext");
    const run = await runScenario(scenario, out, { file: join(out, "matrix.yaml") });
    const cells = run.records as CellRecord[];
    expect(cells.map((c) => c.outcome)).toEqual(["clean", "clean"]);
    for (const c of cells) expect(c.evidence.packages).toContain("onceext==1.0");
    expect(new Set(cells.map((c) => c.image)).size).toBe(2);
    expect(await wheelImagesOf(run.docker as Docker, "onceext-1.0.tar.gz", startedAt)).toHaveLength(1);
  }, 300_000);

  it("an sdist that does not compile fails once, and every release that pins it reports that failure", async () => {
    const out = await tempDir("sdist-fails-once");
    await mkdir(join(out, "dists"));
    const marker = randomUUID();
    await makeBrokenSdist(join(out, "dists"), "failsonce", "1.0", marker);
    const failures = join(CACHE_DIR, "build-failures");
    const recordsOfThisSdist = async () => {
      const texts = await Promise.all((await readdir(failures).catch(() => [])).map((f) => readFile(join(failures, f), "utf8")));
      return texts.filter((t) => t.includes("failsonce"));
    };
    const before = await recordsOfThisSdist();

    const scenario = await twoReleasesNeeding("it-sdist-fails-once", join(out, "dists"), "failsonce");
    const run = await runScenario(scenario, out, { file: join(out, "matrix.yaml") });
    const cells = run.records as CellRecord[];
    expect(cells.map((c) => c.outcome)).toEqual(["install-failed", "install-failed"]);
    expect(cells[0]?.reason).toMatch(/Failed building wheel for failsonce/);
    expect(cells[1]?.reason).toBe(cells[0]?.reason);
    expect(cells[1]?.evidence.installLog).toBe(cells[0]?.evidence.installLog);
    // One compile, one record: building each release's env with the sdist would have written two.
    expect((await recordsOfThisSdist()).length - before.length).toBe(1);
  }, 300_000);

  it("--force re-runs the cells but recalls a failed build; --rebuild compiles it again", async () => {
    const out = await tempDir("sdist-rebuild");
    await mkdir(join(out, "dists"));
    await makeBrokenSdist(join(out, "dists"), "failsagain", "1.0", randomUUID());
    const failures = join(CACHE_DIR, "build-failures");
    // Earlier runs of this test on the machine left records of their own "failsagain" (another
    // marker, another hash): only the record this run writes is this sdist's.
    const earlier = new Set(await readdir(failures).catch(() => []));
    const recordOfThisSdist = async () => {
      for (const f of (await readdir(failures).catch(() => [])).filter((f) => !earlier.has(f))) {
        const text = await readFile(join(failures, f), "utf8");
        if (text.includes("failsagain")) return JSON.parse(text) as { reason: string; at: string };
      }
      return undefined;
    };
    const scenario = await twoReleasesNeeding("it-sdist-rebuild", join(out, "dists"), "failsagain");
    const opts = { file: join(out, "matrix.yaml") };
    await runScenario(scenario, out, opts);
    const first = await recordOfThisSdist();
    expect(first?.reason).toMatch(/Failed building wheel for failsagain/);

    const forced = await runScenario(scenario, out, { ...opts, force: true });
    expect(forced.results.runs.at(-1)?.cellsReused).toBe(0);
    expect((forced.records as CellRecord[]).map((c) => c.reason)).toEqual([first?.reason, first?.reason]);
    // Recalled, not compiled again: a build would have written the record anew.
    expect((await recordOfThisSdist())?.at).toBe(first?.at);

    const rebuilt = await runScenario(scenario, out, { ...opts, rebuild: true });
    expect((rebuilt.records as CellRecord[]).map((c) => c.outcome)).toEqual(["install-failed", "install-failed"]);
    expect((await recordOfThisSdist())?.at).not.toBe(first?.at);
  }, 300_000);
});
