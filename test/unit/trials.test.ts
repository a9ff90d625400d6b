import { describe, expect, it } from "vitest";
import { compatStatus } from "../../harness/claims/compat.js";
import { combineTrials } from "../../harness/run/trials.js";
import { record } from "../helpers/records.js";

describe("trials", () => {
  it("trials that agree keep their outcome, with the count", () => {
    const r = combineTrials([record(), record(), record()]);
    expect(r.outcome).toBe("clean");
    expect(r.trials).toEqual({ count: 3, outcomes: { clean: 3 }, reproducedIn: 0 });
  });
  it("trials that disagree are flaky, with the reproduction rate and a reproducing trial's evidence", () => {
    const hit = record({ outcome: "reproduced", reason: "signature in boot logs (1 line)", startedAt: "2026-11-25T10:00:05.000Z" });
    const r = combineTrials([record(), hit, record()]);
    expect(r.outcome).toBe("flaky");
    expect(r.reason).toBe("trials disagree: reproduced in 1/3 (2 clean); trial shown: signature in boot logs (1 line)");
    expect(r.trials).toEqual({ count: 3, outcomes: { clean: 2, reproduced: 1 }, reproducedIn: 1 });
    expect(r.startedAt).toBe(record().startedAt);
  });
  it("a flaky cell is never Fixed: Affected when a trial reproduced, else Affected differently", () => {
    const flaky = (reproducedIn: number) =>
      record({ outcome: "flaky", trials: { count: 3, outcomes: { clean: 3 - reproducedIn, reproduced: reproducedIn }, reproducedIn } });
    expect(compatStatus([record(), flaky(1)])).toEqual({ status: "Affected", detail: "1/2 cells reproduced (1 flaky)" });
    expect(compatStatus([record(), flaky(0)]).status).toBe("Affected differently");
  });
});
