import { describe, expect, it } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import { compatStatus } from "../../harness/claims/compat.js";
import { renderGrid, renderMarkdown } from "../../harness/report/markdown.js";
import { type RecordOverrides, record } from "../helpers/records.js";

describe("compatStatus", () => {
  it("is Affected when any cell reproduced", () => {
    expect(compatStatus([record(), record({ outcome: "reproduced" })])).toEqual({ status: "Affected", detail: "1/2 cells reproduced" });
  });
  it("is Fixed only when every cell is clean", () => {
    expect(compatStatus([record(), record()]).status).toBe("Fixed");
    expect(compatStatus([record(), record({ outcome: "timeout" })]).status).toBe("Inconclusive");
  });
  it("never turns install or boot failures into Fixed", () => {
    expect(compatStatus([record({ outcome: "install-failed" }), record({ outcome: "boot-failure" })])).toEqual({
      status: "Not testable",
      detail: "2/2 cells install-failed, boot-failure",
    });
  });
  it("is Affected differently on other failures without the signature", () => {
    expect(compatStatus([record(), record({ outcome: "other-failure" })]).status).toBe("Affected differently");
  });
});

describe("markdown", () => {
  it("renders the grid: a row per version in PEP 440 order, a column per (class, preload, app)", () => {
    const cells = [
      record({ uvicorn: "0.11.4", preload: false }),
      record({ uvicorn: "0.11.4", preload: true, outcome: "other-failure", reason: "only 7/8 workers | served" }),
      record({ uvicorn: "0.2.5", preload: false, outcome: "reproduced", reason: "signature in probe logs (3 lines)" }),
    ];
    expect(renderGrid(cells, "uvicorn")).toBe(
      [
        "| uvicorn | UvicornWorker<br>no preload<br>plain | UvicornWorker<br>--preload<br>plain |",
        "| --- | --- | --- |",
        "| 0.2.5 | 🔴 reproduced<br><sub>signature in probe logs (3 lines)</sub> |  |",
        "| 0.11.4 | 🟢 clean<br><sub>48/48 × 200 from 8/8 workers</sub> | 🟠 other-failure<br><sub>only 7/8 workers \\| served</sub> |",
      ].join("\n"),
    );
    // The order cells finished in (or shards were merged in) does not move the columns.
    expect(renderGrid([...cells].reverse(), "uvicorn")).toBe(renderGrid(cells, "uvicorn"));
    expect(renderGrid([cells[1], cells[0], cells[2]] as CellRecord[], "uvicorn")).toBe(renderGrid(cells, "uvicorn"));
  });

  it("folds runs of two or more versions with the outcomes of the version above into one ditto row", () => {
    const cells = ["0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0"].map((uvicorn, i) =>
      record({ uvicorn, outcome: i === 0 || i === 5 ? "reproduced" : "clean", reason: `reason ${i}` }),
    );
    expect(renderGrid(cells, "uvicorn").split("\n").slice(2)).toEqual([
      "| 0.1.0 | 🔴 reproduced<br><sub>reason 0</sub> |",
      "| 0.2.0 | 🟢 clean<br><sub>reason 1</sub> |",
      "| 0.3.0–0.5.0<br><sub>3 releases, same outcomes as 0.2.0</sub> | ″ |",
      "| 0.6.0 | 🔴 reproduced<br><sub>reason 5</sub> |",
    ]);
  });

  it("leaves the grid of more than 40 versions to index.html, and draws one of 40", () => {
    const results = (n: number) => ({
      schemaVersion: 2,
      scenario: "demo",
      harnessVersion: "0.1.0",
      lastVerified: "2026-11-25",
      cells: Array.from({ length: n }, (_, i) => record({ uvicorn: `0.${i}.0` })),
      runs: [],
    });
    const grid = (md: string) => md.slice(md.indexOf("## Full grid"), md.indexOf("## Environments"));
    expect(grid(renderMarkdown(results(41)))).toContain(
      "41 cells over 41 uvicorn versions: too many to read here. [index.html](index.html)",
    );
    expect(grid(renderMarkdown(results(41)))).not.toContain("| 0.0.0 |");
    expect(grid(renderMarkdown(results(40)))).toContain("| 0.0.0 |");
    expect(grid(renderMarkdown(results(40)))).not.toContain("too many to read here");
  });

  it("lists each env's lock as its difference from the lock above, when that is shorter", () => {
    const pkgs = (uvicorn: string, h11: string) => ["click==7.0", "gunicorn==23.0.0", `h11==${h11}`, "six==1.0", `uvicorn==${uvicorn}`];
    const env = (uvicorn: string, h11: string) => record({ uvicorn, evidence: { ...record().evidence, packages: pkgs(uvicorn, h11) } });
    const md = renderMarkdown({
      schemaVersion: 2,
      scenario: "demo",
      harnessVersion: "0.1.0",
      lastVerified: "2026-11-25",
      cells: [env("0.1.0", "0.8.0"), env("0.2.0", "0.8.0"), env("0.3.0", "0.9.0")],
      runs: [],
    });
    expect(md).toContain(`| py3.9.2 · uvicorn 0.1.0 | ${pkgs("0.1.0", "0.8.0").join(", ")} |`);
    // The row's own uvicorn pin is in its label: not said again.
    expect(md).toContain("| py3.9.2 · uvicorn 0.2.0 | as above |");
    expect(md).toContain("| py3.9.2 · uvicorn 0.3.0 | above + h11==0.9.0 |");
    // gunicorn, pinned alike in every env, is said once above the table.
    expect(md).toContain("Every env pins gunicorn 23.0.0.");
  });

  it("compares pins by normalized name: a project freeze spells differently is one changed pin", () => {
    const pkgs = (uvicorn: string, click: string) => [
      click,
      "gunicorn==23.0.0",
      "h11==0.8.0",
      "six==1.0",
      "wheel==0.1",
      `uvicorn==${uvicorn}`,
    ];
    const env = (uvicorn: string, click: string) => record({ uvicorn, evidence: { ...record().evidence, packages: pkgs(uvicorn, click) } });
    const md = renderMarkdown({
      schemaVersion: 2,
      scenario: "demo",
      harnessVersion: "0.1.0",
      lastVerified: "2026-11-25",
      cells: [env("0.1.0", "click==6.7"), env("0.2.0", "Click==7.0"), env("0.3.0", "click==7.0")],
      runs: [],
    });
    expect(md).toContain("| py3.9.2 · uvicorn 0.2.0 | above + Click==7.0 |");
    expect(md).toContain("| py3.9.2 · uvicorn 0.3.0 | as above |");
  });

  it("uses the docker result in the tables, marks local-only cells, and lists runtime differences with why", () => {
    const local = (over: RecordOverrides) => record({ runtime: "local", pythonFull: "3.9.18", image: "/cache/venvs/x", ...over });
    const md = renderMarkdown({
      schemaVersion: 2,
      scenario: "demo",
      harnessVersion: "0.1.0",
      lastVerified: "2026-11-25",
      cells: [
        record({ uvicorn: "0.11.4" }),
        local({ uvicorn: "0.11.4", outcome: "other-failure", reason: "only 7/8 workers served" }),
        local({ uvicorn: "0.11.5" }),
      ],
      runs: [],
    });
    expect(md).toContain("| 0.11.4 | 🟢 clean<br><sub>48/48 × 200 from 8/8 workers</sub> |");
    expect(md).toContain("| 0.11.5 | 🟢 clean (local)<br><sub>48/48 × 200 from 8/8 workers</sub> |");
    expect(md).toContain("1 cell ran on both the docker and the local runtime: 0 gave the same outcome, 1 differed.");
    expect(md).toContain(
      "| py3.9 uvicorn 0.11.4 gunicorn 23.0.0 UvicornWorker --preload plain -w 8 | clean | other-failure | docker: 48/48 × 200 from 8/8 workers / local: only 7/8 workers served; envs differ: Python 3.9.2 vs 3.9.18 |",
    );
  });

  it("renders the fix-page style table and the claim from the results", () => {
    const md = renderMarkdown({
      schemaVersion: 2,
      scenario: "demo",
      claim: { text: "first fixed release: 0.11.4", package: "uvicorn", firstFixed: "0.11.4", when: { preload: true } },
      harnessVersion: "0.1.0",
      lastVerified: "2026-11-25",
      cells: [record({ uvicorn: "0.11.3", outcome: "reproduced", reason: "x" }), record({ uvicorn: "0.11.4" })],
      runs: [
        {
          startedAt: "2026-11-25T10:00:00.000Z",
          wallMs: 125_000,
          cells: 2,
          imagesBuilt: 2,
          imagesReused: 0,
          runtime: "docker",
          completed: true,
        },
      ],
    });
    expect(md).toContain("Last verified: 2026-11-25");
    expect(md).toContain(
      [
        "| Version | Python 3.9 |",
        "| --- | --- |",
        "| 0.11.3 | Affected (1/1 cells reproduced) |",
        "| 0.11.4 | Fixed (1/1 cells clean) |",
      ].join("\n"),
    );
    expect(md).toContain('**Verdict: confirmed.** The claim "first fixed release: 0.11.4" is confirmed');
    expect(md).toContain("| 2026-11-25 10:00:00 | 2 min 5 s | 2 | 0 | 2 |  | 0 | docker |  | yes |");
  });

  it("tabulates the boot profile: seconds until all workers were up, then served, and memory per worker, by worker count", () => {
    const profiled = (workers: number, preload: boolean, allServedMs: number | undefined, pssKb: number) =>
      record({
        workers,
        preload,
        bootProfile: {
          allUpMs: workers * 100,
          ...(allServedMs === undefined ? {} : { allServedMs }),
          workerMemory: [
            { pid: 1, rssKb: 70_000, pssKb },
            { pid: 2, rssKb: 70_000, pssKb },
          ],
        },
      });
    const md = renderMarkdown({
      schemaVersion: 2,
      scenario: "boot",
      harnessVersion: "0.1.0",
      lastVerified: "2026-11-25",
      cells: [
        profiled(8, false, 6500, 54 * 1024),
        profiled(64, false, undefined, 52 * 1024),
        profiled(8, true, 1800, 16 * 1024),
        profiled(64, true, 8700, 11 * 1024),
      ],
      runs: [],
    });
    expect(md).toContain(
      [
        "|  | 8 workers | 64 workers |",
        "| --- | --- | --- |",
        "| --preload | up 0.8 s · served 1.8 s · 16.0 MiB | up 6.4 s · served 8.7 s · 11.0 MiB |",
        "| no preload | up 0.8 s · served 6.5 s · 54.0 MiB | up 6.4 s · not all served · 52.0 MiB |",
      ].join("\n"),
    );
  });

  it("lists the machines the cells ran on, a remote engine's marked, older cells as not recorded", () => {
    const here = { os: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0-18-amd64", arch: "x86_64", cpus: 2, memoryMiB: 24_000 };
    const md = renderMarkdown({
      scenario: "demo",
      harnessVersion: "0.1.0",
      lastVerified: "2026-11-25",
      schemaVersion: 4,
      runs: [],
      cells: [
        record({ uvicorn: "0.11.3", machine: { ...here, engine: "Docker 20.10.24" } }),
        record({ uvicorn: "0.11.4", machine: { ...here, engine: "Docker 20.10.24" } }),
        record({ uvicorn: "0.11.5", machine: { ...here, cpus: 1, memoryMiB: 512, engine: "Docker 26.1.5", remoteEngine: true } }),
        record({ uvicorn: "0.11.6" }),
      ],
    });
    expect(md).toContain(
      [
        "- Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64, x86_64, 2 CPUs, 23 GiB, Docker 20.10.24: 2 cells",
        "- Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64, x86_64, 1 CPU, 512 MiB, Docker 26.1.5 (remote): 1 cell",
        "- not recorded (cells from before results.json schema 4): 1 cell",
      ].join("\n"),
    );
  });
});
