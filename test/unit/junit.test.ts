import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { cellId } from "../../harness/cell/cell.js";
import type { CellRecord } from "../../harness/cell/record.js";
import { renderJunit } from "../../harness/report/junit.js";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";
import { readResults } from "../helpers/results.js";

interface Case {
  "@_classname": string;
  "@_name": string;
  "@_time": string;
  properties: { property: { "@_name": string; "@_value": string }[] };
  failure?: { "@_message": string; "@_type": string; "#text": string };
  error?: { "@_message": string; "@_type": string; "#text"?: string };
  skipped?: { "@_message": string };
  "system-out"?: string;
}
interface Suite {
  "@_name": string;
  "@_tests": string;
  testcase: Case[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
});

/** Validates, then parses: a renderer that writes invalid XML fails here first. */
function parse(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = parser.parse(xml) as { testsuites: Record<string, string> & { testsuite: Suite[] } };
  const suites = doc.testsuites.testsuite;
  return { root: doc.testsuites, suites, cases: suites.flatMap((s) => s.testcase) };
}

const results = (cells: CellRecord[]): ResultsFile => ({
  schemaVersion: 2,
  scenario: "demo",
  harnessVersion: "0.1.0",
  lastVerified: "2026-11-25",
  cells,
  runs: [],
});

const line = (n: number, text: string) => ({ n, stream: "stderr" as const, phase: "probe" as const, text });

const reproduced = record({
  uvicorn: "0.2.5",
  outcome: "reproduced",
  reason: "signature in boot/probe logs (2 lines)",
  evidence: {
    ...record().evidence,
    signatureMatches: [line(17, "RuntimeError: Event loop is closed")],
    logTail: [line(16, "Traceback (most recent call last):"), line(17, "RuntimeError: Event loop is closed")],
  },
});
const otherFailure = record({
  uvicorn: "0.3.0",
  outcome: "other-failure",
  reason: "only 1/8 workers served",
  evidence: { ...record().evidence, firstOtherTraceback: ["Traceback (most recent call last):", "KeyError: '8 is not registered'"] },
});
const mixed = [
  reproduced,
  otherFailure,
  record({ uvicorn: "0.4.0" }),
  record({ uvicorn: "0.5.0", outcome: "boot-failure", reason: "worker class failed to load" }),
  record({ uvicorn: "0.6.0", outcome: "timeout", reason: "not ready after 30 s" }),
  record({ uvicorn: "0.7.0", outcome: "flaky", reason: "trials disagree" }),
  record({ uvicorn: "0.1.0", outcome: "install-failed", reason: "cannot build uvicorn==0.1.0" }),
  record({ uvicorn: "0.1.1", outcome: "install-failed", reason: "no wheel" }),
  record({ uvicorn: "0.4.0", python: "3.11", preload: false }),
];

describe("renderJunit", () => {
  it("counts tests, failures (reproduced), errors and skipped (install-failed)", () => {
    const { root, suites } = parse(renderJunit(results(mixed)));
    expect(root).toMatchObject({ "@_name": "demo", "@_tests": "9", "@_failures": "1", "@_errors": "4", "@_skipped": "2" });
    expect(suites.map((s) => s["@_name"])).toEqual([
      "py3.9 UvicornWorker --preload plain -w 8 (docker)",
      "py3.11 UvicornWorker no-preload plain -w 8 (docker)",
    ]);
    expect(suites.map((s) => s["@_tests"])).toEqual(["8", "1"]);
  });

  it("keeps cells that differ only in their worker count in suites of their own", () => {
    const { suites } = parse(renderJunit(results([record(), record({ workers: 2 })])));
    expect(suites.map((s) => s["@_name"])).toEqual([
      "py3.9 UvicornWorker --preload plain -w 2 (docker)",
      "py3.9 UvicornWorker --preload plain -w 8 (docker)",
    ]);
  });

  it("maps each outcome to its JUnit element", () => {
    const { cases } = parse(renderJunit(results(mixed)));
    const byUvicorn = (v: string) => cases.find((c) => c.properties.property.some((p) => p["@_name"] === "uvicorn" && p["@_value"] === v))!;
    expect(byUvicorn("0.4.0")).not.toHaveProperty("failure");
    expect(byUvicorn("0.4.0")).not.toHaveProperty("error");
    expect(byUvicorn("0.1.0").skipped?.["@_message"]).toBe("cannot build uvicorn==0.1.0");
    const other = byUvicorn("0.3.0").error!;
    expect(other["@_type"]).toBe("other-failure");
    expect(other["@_message"]).toBe("only 1/8 workers served");
    expect(other["#text"]).toContain("fingerprint: KeyError: 'N is not registered'");
    expect(other["#text"]).toContain("KeyError: '8 is not registered'");
    expect(byUvicorn("0.7.0").error?.["@_type"]).toBe("flaky");
  });

  it("gives a reproduced cell a failure with the signature line and the lock", () => {
    const { cases } = parse(renderJunit(results([reproduced])));
    const c = cases[0]!;
    expect(c["@_name"]).toBe(cellId(reproduced));
    expect(c["@_classname"]).toBe("demo.docker.py3_9 UvicornWorker --preload plain -w 8");
    expect(c["@_time"]).toBe("3.000");
    expect(c.failure?.["@_type"]).toBe("reproduced");
    expect(c.failure?.["@_message"]).toBe("signature reproduced: RuntimeError: Event loop is closed");
    expect(c.failure?.["#text"]).toContain("17 stderr probe| RuntimeError: Event loop is closed");
    expect(c.failure?.["#text"]).toContain("uvicorn==0.11.4");
    expect(c["system-out"]).toContain("Traceback (most recent call last):");
    const props = Object.fromEntries(c.properties.property.map((p) => [p["@_name"], p["@_value"]]));
    expect(props).toMatchObject({ uvicorn: "0.2.5", gunicorn: "23.0.0", python: "3.9", preload: "true", workers: "8", runtime: "docker" });
    expect(props).not.toHaveProperty("cacheKey");
  });

  it("names the check that fired for a cell judged by checks, which need not be a log line", () => {
    const checked = record({
      outcome: "reproduced",
      reason: "status 5xx ≥ 1 in step 2: 2×5xx",
      evidence: {
        ...record().evidence,
        checks: [
          { check: "status 5xx ≥ 1 in step 2", result: "fired", seen: "2×5xx" },
          { check: "status error ≥ 1 in step 2", result: "quiet", seen: "0×error" },
        ],
      },
    });
    const failure = parse(renderJunit(results([checked]))).cases[0]?.failure;
    expect(failure?.["@_message"]).toBe("reproduced: status 5xx ≥ 1 in step 2: 2×5xx");
    expect(failure?.["#text"]).toContain("checks fired:\nstatus 5xx ≥ 1 in step 2: 2×5xx\n\nlock:");
    expect(failure?.["#text"]).not.toMatch(/signature|status error/);
  });

  it("escapes markup and quotes and drops characters XML 1.0 forbids", () => {
    const nasty = `Task was destroyed but it is pending! <Task pending coro=<serve()>> & "quoted" 'single'`;
    const c = record({
      outcome: "other-failure",
      reason: nasty,
      cacheKey: `k"&<'`,
      evidence: { ...record().evidence, logTail: [line(1, `bell\u0007 ${nasty}`), line(2, "nul\u0000 esc\u001b[0m ok\ttab")] },
    });
    const xml = renderJunit(results([c]));
    // The validator does not check for characters XML 1.0 forbids, so look for them directly.
    const forbidden = [...xml].filter((ch) => ch < " " && !"\t\n\r".includes(ch));
    expect(forbidden).toEqual([]);
    const parsed = parse(xml).cases[0]!;
    expect(parsed.error?.["@_message"]).toBe(nasty);
    expect(parsed["system-out"]).toContain(`1 stderr probe| bell\\x07 ${nasty}`);
    expect(parsed["system-out"]).toContain("nul\\x00 esc\\x1b[0m ok\ttab");
    expect(parsed.properties.property.find((p) => p["@_name"] === "cacheKey")?.["@_value"]).toBe(`k"&<'`);
  });

  it("caps the log tail and says how much was left out", () => {
    const tail = Array.from({ length: 60 }, (_, i) => line(i + 41, `line ${i + 41}`));
    const out = parse(renderJunit(results([record({ evidence: { ...record().evidence, logTail: tail, totalLogLines: 100 } })]))).cases[0]![
      "system-out"
    ]!;
    const lines = out.split("\n");
    expect(lines).toHaveLength(41);
    expect(lines[0]).toBe("… 60 earlier lines not shown");
    expect(lines.at(-1)).toBe("100 stderr probe| line 100");
  });

  it("writes the same bytes whatever the order of the records", () => {
    const xml = renderJunit(results(mixed));
    const shuffled = [...mixed].reverse();
    [shuffled[1], shuffled[4]] = [shuffled[4]!, shuffled[1]!];
    expect(renderJunit(results(shuffled))).toBe(xml);
  });

  it("keeps docker and local results of one cell apart", () => {
    const docker = record();
    const local = record({ runtime: "local", outcome: "boot-failure", reason: "exited" });
    const { cases, suites } = parse(renderJunit(results([local, docker])));
    expect(cases).toHaveLength(2);
    expect(cases.map((c) => c["@_name"])).toEqual([cellId(docker), cellId(docker)]);
    expect(new Set(cases.map((c) => `${c["@_classname"]}/${c["@_name"]}`)).size).toBe(2);
    expect(cases.map((c) => c["@_classname"])).toEqual([
      "demo.docker.py3_9 UvicornWorker --preload plain -w 8",
      "demo.local.py3_9 UvicornWorker --preload plain -w 8",
    ]);
    expect(suites.map((s) => s["@_name"])).toEqual([
      "py3.9 UvicornWorker --preload plain -w 8 (docker)",
      "py3.9 UvicornWorker --preload plain -w 8 (local)",
    ]);
  });

  it("renders the committed uvicorn-85-preload results as valid JUnit", async () => {
    const file = await readResults("reports/uvicorn-85-preload/results.json");
    const { root, cases } = parse(renderJunit(file));
    expect(Number(root["@_tests"])).toBe(file.cells.length);
    expect(cases).toHaveLength(file.cells.length);
    expect(Number(root["@_failures"])).toBe(file.cells.filter((c) => c.outcome === "reproduced").length);
    expect(Number(root["@_skipped"])).toBe(file.cells.filter((c) => c.outcome === "install-failed").length);
    expect(new Set(cases.map((c) => `${c["@_classname"]}/${c["@_name"]}`)).size).toBe(file.cells.length);
  });
});
