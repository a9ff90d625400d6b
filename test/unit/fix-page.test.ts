import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CellRecord } from "../../harness/cell/record.js";
import type { ClaimVerdict } from "../../harness/claims/verdict.js";
import { main } from "../../harness/cli/main.js";
import { loadScenario } from "../../harness/config/load.js";
import { ConfigError } from "../../harness/core/errors.js";
import { measuredFirstFixed, type PageFacts, pageFacts } from "../../harness/pages/page-facts.js";
import { parsePage } from "../../harness/pages/parse-page.js";
import { scaffoldScenario, versionsAround } from "../../harness/pages/scaffold.js";
import { updatePage } from "../../harness/pages/update-page.js";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

const pageCommand = (args: string[]) => main(["page", ...args]);
const initCommand = (args: string[]) => main(["init", ...args]);
const fixture = (name: string) => readFile(join("test/fixtures/pages", name), "utf8");
const crlf = (text: string) => text.replace(/\n/g, "\r\n");

const results = (cells: CellRecord[], firstFixed = "0.14.2"): ResultsFile => ({
  schemaVersion: 2,
  scenario: "demo",
  claim: { text: `first fixed release: ${firstFixed}`, package: "uvicorn", firstFixed, when: { preload: true } },
  harnessVersion: "0.1.0",
  lastVerified: "2026-11-25",
  cells,
  runs: [],
});
const at = (uvicorn: string, outcome: CellRecord["outcome"], over: Partial<CellRecord> = {}) => record({ uvicorn, outcome, ...over });

/** Measured on the made-up issue of claim-holds.txt: affected before 0.14.2, clean from it. */
const holdsCells = [
  // The newest affected version is the one a reader rebuilds, also when an older one ran later.
  at("0.13.4", "reproduced", { startedAt: "2026-11-25T09:00:00.000Z" }),
  at("0.14.1", "reproduced", { startedAt: "2026-11-24T08:30:00.000Z", python: "3.11", pythonFull: "3.11.2" }),
  at("0.14.1", "reproduced", { startedAt: "2026-11-23T08:30:00.000Z", app: "import-time-loop" }),
  at("0.14.2", "clean"),
  at("0.15.0", "clean"),
  // Outside the claim's trigger (no --preload): not in the table.
  at("0.16.0", "reproduced", { preload: false }),
];
const holdsVerdict: ClaimVerdict = {
  status: "confirmed",
  sentence: "confirmed",
  configs: [],
  lastAffected: "0.14.1",
  firstWithout: "0.14.2",
  untestedBetween: [],
};
const holdsFacts: PageFacts = {
  rows: [
    { version: "0.13.4", status: "Affected" },
    { version: "0.14.1", status: "Affected" },
    { version: "0.14.2", status: "Fixed" },
    { version: "0.15.0", status: "Fixed" },
  ],
  firstFixed: { kind: "version", version: "0.14.2" },
  reproducedLocally: "Yes (2026-11-24, uvicorn 0.14.1, gunicorn 23.0.0, Python 3.11.2, UvicornWorker --preload, docker)",
  lastVerified: "2026-11-25",
};
const notReproducedFacts: PageFacts = {
  rows: [
    { version: "0.18.3", status: "Fixed" },
    { version: "0.19.0", status: "Fixed" },
    { version: "0.19.1", status: "Fixed" },
  ],
  firstFixed: { kind: "not-reproduced" },
  reproducedLocally: "No (signature not seen in 6 cells, 2026-11-25)",
  lastVerified: "2026-11-25",
};

/** The table body's lines, and all the others in order, to compare a page before and after. */
function splitAtTable(text: string): { rows: string[]; rest: string[] } {
  const lines = text.split(/(?<=\n)/);
  const start = lines.findIndex((l) => /^\|-/.test(l)) + 1;
  let end = start;
  while (end < lines.length && lines[end]?.startsWith("|")) end++;
  return { rows: lines.slice(start, end), rest: [...lines.slice(0, start), ...lines.slice(end)] };
}

/** Lines outside the table that differ, as [before, after] pairs. */
function changedLines(before: string, after: string): [string, string][] {
  const [b, a] = [splitAtTable(before).rest, splitAtTable(after).rest];
  expect(a).toHaveLength(b.length);
  return b.flatMap((line, i) => (line === a[i] ? [] : [[line, a[i] as string] as [string, string]]));
}

describe("pageFacts", () => {
  it("takes the table, first fixed and last verified from the claim's cells and the newest reproduction's environment", () => {
    expect(pageFacts(results(holdsCells), holdsVerdict)).toEqual(holdsFacts);
  });
  it("says how many cells ran without the signature when it never appeared, and what the verdict was", () => {
    const cells = [at("0.18.3", "clean"), at("0.19.0", "other-failure"), at("0.19.1", "install-failed")];
    const facts = pageFacts(results(cells), { status: "not-reproduced", sentence: "", configs: [], untestedBetween: [] });
    expect(facts.reproducedLocally).toBe("No (signature not seen in 2 cells, 2026-11-25)");
    expect(facts.firstFixed).toEqual({ kind: "not-reproduced" });
    expect(facts.rows.map((r) => r.status)).toEqual(["Fixed", "Affected differently", "Not testable"]);
  });
  it("does not count cells that could not run as evidence, and measures nothing without a verdict", () => {
    const facts = pageFacts(results([at("0.19.1", "install-failed")]), undefined);
    expect(facts.reproducedLocally).toBe("No (no cell could run, 2026-11-25)");
    expect(facts.firstFixed).toEqual({ kind: "unmeasured" });
  });
  it("reports a reproduction with nothing fixed after it as still affected", () => {
    const verdict: ClaimVerdict = { status: "refuted", sentence: "", configs: [], lastAffected: "0.15.0", untestedBetween: [] };
    expect(pageFacts(results([at("0.15.0", "reproduced")]), verdict).firstFixed).toEqual({
      kind: "still-affected",
      lastAffected: "0.15.0",
    });
  });
});

describe("updatePage", () => {
  it("changes only the table rows, reproduced-locally and last-verified values when the claim holds", async () => {
    const page = await fixture("claim-holds.txt");
    const { text, changes } = updatePage(page, holdsFacts);
    expect(splitAtTable(text).rows).toEqual([
      "| 0.13.4 | Affected |\n",
      "| 0.14.1 | Affected |\n",
      "| 0.14.2 | Fixed |\n",
      "| 0.15.0 | Fixed |\n",
    ]);
    expect(changedLines(page, text)).toEqual([
      ["- Reproduced locally: No (not executed)\n", `- Reproduced locally: ${holdsFacts.reproducedLocally}\n`],
      ["- Last verified: 2025-03-14\n", "- Last verified: 2026-11-25\n"],
      ["Last verified: 2025-03-14. Validate in your environment.\n", "Last verified: 2026-11-25. Validate in your environment.\n"],
    ]);
    expect(changes.map((c) => [c.line, c.field, c.before, c.after])).toEqual([
      [15, "Reproduced locally", "No (not executed)", holdsFacts.reproducedLocally],
      [16, "Last verified", "2025-03-14", "2026-11-25"],
      [27, "Last verified", "2025-03-14", "2026-11-25"],
      [33, "Version Compatibility Table", "0.14.2 Fixed", "0.13.4 Affected, 0.14.1 Affected, 0.14.2 Fixed, 0.15.0 Fixed"],
    ]);
  });

  it("replaces every first-fixed version, keeping each label's casing and the sentence around it", async () => {
    const page = await fixture("claim-holds.txt");
    const { text } = updatePage(page, { ...holdsFacts, firstFixed: { kind: "version", version: "0.13.0" } });
    const firstFixed = changedLines(page, text).filter(([b]) => /first fixed/i.test(b));
    expect(firstFixed).toEqual([
      [
        "- Why it holds: the worker now creates its loop before it imports the app (first fixed release: 0.14.2).\n",
        "- Why it holds: the worker now creates its loop before it imports the app (first fixed release: 0.13.0).\n",
      ],
      ["- First fixed release: 0.14.2\n", "- First fixed release: 0.13.0\n"],
      ["First fixed release: 0.14.2\n", "First fixed release: 0.13.0\n"],
    ]);
    // What the page recommends ("Move to release 0.14.2") is prose, not a measured field.
    expect(text).toContain("Move to release 0.14.2 or newer.\n");
  });

  it("writes 'not reproduced (claimed X)' when the signature never appeared, keeps the rest and the missing final newline", async () => {
    const page = await fixture("never-reproduced.txt");
    const { text, changes } = updatePage(page, notReproducedFacts);
    expect(changes.filter((c) => c.field === "First fixed release").map((c) => c.after)).toEqual([
      "not reproduced (claimed 0.19.1)",
      "not reproduced (claimed 0.19.1)",
      "not reproduced (claimed 0.19.1)",
    ]);
    expect(text).toContain("(first fixed release: not reproduced (claimed 0.19.1)). Other workers were unaffected.\n");
    expect(text.endsWith("full thread ✓")).toBe(true);
    const fields = /first fixed release|reproduced locally|last verified/i;
    for (const [before, after] of changedLines(page, text))
      expect([fields.exec(before)?.[0], fields.exec(after)?.[0]]).toEqual([expect.any(String), fields.exec(before)?.[0]]);
    // The claim is still readable from the rewritten page, and a later reproduction writes a version again.
    expect(parsePage(text).claimedFirstFixed).toBe("0.19.1");
    const later = updatePage(text, { ...notReproducedFacts, firstFixed: { kind: "still-affected", lastAffected: "0.19.1" } });
    expect(later.text).toContain("- First fixed release: still affected in 0.19.1 (claimed 0.19.1)\n");
    expect(updatePage(later.text, { ...notReproducedFacts, firstFixed: { kind: "version", version: "0.20.0" } }).text).toContain(
      "(first fixed release: 0.20.0). Other",
    );
  });

  it("writes 'X or earlier' when untestable releases lie before the first one without the signature, and reads the claim back", async () => {
    const page = await fixture("claim-holds.txt");
    const verdict: ClaimVerdict = {
      status: "refuted",
      sentence: "",
      configs: [],
      lastAffected: "0.12.0",
      firstWithout: "0.14.1",
      untestedBetween: ["0.13.0", "0.13.4"],
    };
    const facts = { ...holdsFacts, firstFixed: measuredFirstFixed(verdict) };
    const { text } = updatePage(page, facts);
    expect(text).toContain("- First fixed release: 0.14.1 or earlier (claimed 0.14.2; 0.13.0 to 0.13.4 could not be tested)\n");
    expect(text).toContain("(first fixed release: 0.14.1 or earlier (claimed 0.14.2; 0.13.0 to 0.13.4 could not be tested)).\n");
    expect(parsePage(text).claimedFirstFixed).toBe("0.14.2");
    expect(updatePage(text, facts).changes).toEqual([]);
  });

  it("changes nothing the second time", async () => {
    for (const [name, facts] of [
      ["claim-holds.txt", holdsFacts],
      ["never-reproduced.txt", notReproducedFacts],
    ] as const) {
      for (const page of [await fixture(name), crlf(await fixture(name))]) {
        const once = updatePage(page, facts).text;
        expect(updatePage(once, facts)).toEqual({ text: once, changes: [] });
      }
    }
  });

  it("keeps CRLF line endings, byte for byte", async () => {
    const page = await fixture("claim-holds.txt");
    const { text, changes } = updatePage(crlf(page), holdsFacts);
    expect(text).toBe(crlf(updatePage(page, holdsFacts).text));
    expect(changes).toEqual(updatePage(page, holdsFacts).changes);
  });

  it("leaves the first-fixed values alone when nothing was measured", async () => {
    const page = await fixture("claim-holds.txt");
    const { changes } = updatePage(page, { ...holdsFacts, firstFixed: { kind: "unmeasured" } });
    expect(changes.some((c) => c.field === "First fixed release")).toBe(false);
  });

  it("refuses a page without a compatibility table, naming the page and the heading", async () => {
    const page = (await fixture("claim-holds.txt")).replace("Version Compatibility Table\n", "");
    expect(() => updatePage(page, holdsFacts, "pages/x.txt")).toThrow(ConfigError);
    expect(() => updatePage(page, holdsFacts, "pages/x.txt")).toThrow(/^pages\/x\.txt: no "Version Compatibility Table" heading; [^\n]*$/);
  });
});

describe("parsePage", () => {
  it("reads the claim, signature, issue and trigger hints", async () => {
    expect(parsePage(await fixture("claim-holds.txt"))).toEqual({
      repo: "Kludex/uvicorn",
      issue: 4321,
      package: "uvicorn",
      claimedFirstFixed: "0.14.2",
      signature: "RuntimeError: worker loop was replaced after fork",
      preload: true,
      workerClasses: ["uvicorn.workers.UvicornWorker"],
    });
    const other = parsePage(await fixture("never-reproduced.txt"));
    expect(other).toMatchObject({ issue: 5150, preload: false, workerClasses: ["uvicorn.workers.UvicornH11Worker"] });
  });
  it("names a missing field in one line", async () => {
    const page = (await fixture("claim-holds.txt")).replace(/Failure Signature[\s\S]*?What Broke/, "What Broke");
    expect(() => parsePage(page, "p.txt")).toThrow(/^p\.txt: signature: not found; the page needs a "Failure Signature" line[^\n]*$/);
    expect(() => parsePage("Based on closed a/b issue #1\n", "p.txt")).toThrow(/claimedFirstFixed: not found/);
  });
});

describe("scaffoldScenario", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fix-page-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const load = async (yaml: string) => {
    const file = join(dir, "matrix.yaml");
    await writeFile(file, yaml);
    return loadScenario(file);
  };

  it("loads as a scenario with the page's signature, claimed version and preload trigger", async () => {
    const s = await load(scaffoldScenario(parsePage(await fixture("claim-holds.txt")), "claim-holds.txt"));
    expect(s.scenario).toBe("uvicorn-4321-preload");
    expect(s.signatures).toEqual(["RuntimeError: worker loop was replaced after fork"]);
    expect(s.claim).toMatchObject({ firstFixed: "0.14.2", when: { preload: true } });
    expect(s.packages.uvicorn).toEqual({ select: ">=0.13,<0.16" });
    expect(s.workerClasses).toEqual([{ path: "uvicorn.workers.UvicornWorker" }]);
  });
  it("escapes the page's error text into a regex that matches it literally", async () => {
    const page = parsePage(await fixture("never-reproduced.txt"));
    const s = await load(scaffoldScenario(page, "never-reproduced.txt"));
    expect(new RegExp(s.signatures[0] as string).test(page.signature)).toBe(true);
    expect(new RegExp(s.signatures[0] as string).test("OSError: listener socket closed by sibling worker (fd=7)")).toBe(false);
    expect(s.claim?.when).toEqual({});
    expect(s.workerClasses).toEqual([{ path: "uvicorn.workers.UvicornH11Worker" }]);
  });
  it("tests one minor line either side of the claimed fix", () => {
    expect(versionsAround("0.14.2")).toBe(">=0.13,<0.16");
    expect(versionsAround("1.0.0")).toBe(">=0,<1.2");
  });
  it("refuses pages about another package", async () => {
    const page = { ...parsePage(await fixture("claim-holds.txt")), repo: "benoitc/gunicorn", package: "gunicorn" };
    expect(() => scaffoldScenario(page, "p.txt")).toThrow(/scaffolds uvicorn issues only/);
  });
});

describe("page and init commands", () => {
  let dir: string;
  let stdout: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fix-page-cli-"));
    stdout = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => stdout.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });
  const setUp = async () => {
    const page = join(dir, "page.txt");
    await writeFile(page, await fixture("claim-holds.txt"));
    await writeFile(join(dir, "results.json"), JSON.stringify(results(holdsCells)));
    return page;
  };

  it("check reports the changes and exits 1; update rewrites the page; check then exits 0", async () => {
    const page = await setUp();
    expect(await pageCommand(["check", page, "--results", dir])).toBe(1);
    expect(stdout.join("")).toContain(`${page}:16: Last verified: 2025-03-14 → 2026-11-25\n`);
    expect(await readFile(page, "utf8")).toBe(await fixture("claim-holds.txt"));
    expect(await pageCommand(["update", page, "--results", dir])).toBe(0);
    expect(await readFile(page, "utf8")).toContain("| 0.14.1 | Affected |\n| 0.14.2 | Fixed |\n");
    expect(await pageCommand(["check", page, "--results", dir])).toBe(0);
  });

  it("check --json prints the changes as data", async () => {
    const page = await setUp();
    expect(await pageCommand(["check", page, "--results", dir, "--json"])).toBe(1);
    const report = JSON.parse(stdout.join(""));
    expect(report).toMatchObject({ page, current: false });
    expect(report.changes).toContainEqual(
      expect.objectContaining({ line: 16, field: "Last verified", before: "2025-03-14", after: "2026-11-25" }),
    );
  });

  it("names the missing file in a ConfigError", async () => {
    const page = await setUp();
    await expect(pageCommand(["check", join(dir, "nope.txt"), "--results", dir])).rejects.toThrow(/nope\.txt: cannot read \(ENOENT\)/);
    await expect(pageCommand(["check", page, "--results", join(dir, "none")])).rejects.toThrow(
      /none\/results\.json: missing or not a results file/,
    );
    await expect(pageCommand(["check", page])).rejects.toThrow(ConfigError);
  });

  it("init --from-page writes a scenario that loads, and never overwrites one", async () => {
    const out = join(dir, "scenario.yaml");
    expect(await initCommand(["--from-page", "test/fixtures/pages/claim-holds.txt", "--out", out])).toBe(0);
    expect((await loadScenario(out)).claim?.firstFixed).toBe("0.14.2");
    await expect(initCommand(["--from-page", "test/fixtures/pages/claim-holds.txt", "--out", out])).rejects.toThrow(/already exists/);
    expect(await initCommand(["--from-page", "test/fixtures/pages/claim-holds.txt"])).toBe(0);
    expect(stdout.join("")).toBe(await readFile(out, "utf8"));
  });
});

describe("the catalog's #85 page", () => {
  it("has every section of the fix-page format, in its order, and the Proof fields a reader looks for", async () => {
    const text = await readFile("pages/uvicorn-85.md", "utf8");
    const headings = [...text.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]);
    const format = [
      "The Fix",
      "Why This Fix Works in Production",
      "Why This Breaks in Prod",
      "Proof / Evidence",
      "Discussion",
      "Failure Signature (Search String)",
      "Copy-friendly signature",
      "Error Message",
      "What Broke",
      "Why It Broke",
      "Fix Options (Details)",
      "When NOT to Use This Fix",
      "Did This Fix Work in Your Case?",
      "Prevention",
      "Version Compatibility Table",
      "Related Issues",
      "Sources",
    ];
    expect(headings.filter((h) => format.includes(h as string))).toEqual(format);
    for (const field of [
      "GitHub issue",
      "Fix PR",
      "First fixed release",
      "Reproduced locally",
      "Last verified",
      "Confidence",
      "Did this fix it?",
    ])
      expect(text).toMatch(new RegExp(`^- ${field.replace(/[?]/g, "\\?")}: `, "m"));
  });
});
