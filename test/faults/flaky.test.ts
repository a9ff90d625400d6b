import { describe, expect, it } from "vitest";
import { compatRows } from "../../harness/claims/compat.js";
import { itScenario, runScenario, tempDir } from "../helpers/harness.js";

/** trials: 3 on real servers: a cell whose trials disagree is flaky with its rate, never Fixed. */
describe("trials on real servers", () => {
  it("gives flaky with the reproduction rate when trials disagree, and the agreed outcome otherwise", async () => {
    const out = await tempDir("flaky");
    const { records } = await runScenario(
      itScenario(
        "it-flaky",
        `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [true]
workers: 2
apps: [plain, flaky-signature]
trials: 3
`,
        "3.11",
      ),
      out,
    );
    const flaky = records.find((r) => r.app === "flaky-signature");
    const steady = records.find((r) => r.app === "plain");
    expect(flaky?.outcome, flaky?.reason).toBe("flaky");
    expect(flaky?.trials).toEqual({ count: 3, outcomes: { clean: 2, reproduced: 1 }, reproducedIn: 1 });
    expect(flaky?.evidence.signatureMatches[0]?.text).toBe("RuntimeError: Event loop is closed");
    expect(steady?.outcome).toBe("clean");
    expect(steady?.trials).toMatchObject({ count: 3, outcomes: { clean: 3 } });
    expect(compatRows(records, {}, "uvicorn").map((r) => r.status)).toEqual(["Affected"]);
  }, 600_000);
});
