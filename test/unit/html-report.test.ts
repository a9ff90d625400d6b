import { gunzipSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import { cellId } from "../../harness/cell/cell.js";
import type { CellRecord } from "../../harness/cell/record.js";
import { claimVerdict } from "../../harness/claims/verdict.js";
import { embedData, escapeHtml, renderHtml } from "../../harness/report/html.js";
import { CLIENT_SCRIPT } from "../../harness/report/html-client.js";
import type { ResultsFile } from "../../harness/store/results-file.js";
import { record } from "../helpers/records.js";

const results = (cells: CellRecord[], over: Partial<ResultsFile> = {}): ResultsFile => ({
  schemaVersion: 2,
  scenario: "demo",
  harnessVersion: "0.1.0",
  lastVerified: "2026-11-25",
  cells,
  runs: [],
  ...over,
});

/** The embedded data block, as the page's script reads it (base64 of gzipped JSON). */
const embedded = (html: string) => JSON.parse(gunzipSync(Buffer.from(embeddedText(html), "base64")).toString("utf8"));

const failing = (uvicorn: string, exceptionLine: string): CellRecord =>
  record({
    uvicorn,
    outcome: "other-failure",
    reason: "tracebacks without the signature",
    evidence: {
      ...record().evidence,
      firstOtherTraceback: ["Traceback (most recent call last):", '  File "/app/x.py", line 3', exceptionLine],
    },
  });

describe("renderHtml", () => {
  it("escapes log text in HTML and keeps </script> and <!-- in logs from ending the data block", () => {
    const hostile = "<Task pending name='Task-1'> </script><script>alert(1)</script> <!-- x";
    const line = { n: 7, stream: "stderr" as const, phase: "probe" as const, text: hostile };
    const c = record({
      outcome: "reproduced",
      reason: "signature near <Task pending> & friends",
      evidence: { ...record().evidence, signatureMatches: [line], logTail: [line] },
    });
    const html = renderHtml(results([c]));

    expect(html.match(/<\/script>/g)).toHaveLength(2); // the data block's and the client's own
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).not.toContain("<!--");
    expect(html).not.toContain("<Task");
    expect(html).toContain(`title="reproduced: ${escapeHtml("signature near <Task pending> & friends")}"`);
    expect(embedded(html).cells[cellId(c)].record.evidence.logTail[0].text).toBe(hostile);
  });

  it("embeds each env's lock and install log once, referenced by its cells", () => {
    const failed = (uvicorn: string) =>
      record({
        uvicorn,
        outcome: "install-failed",
        reason: "no wheel",
        evidence: { ...record().evidence, packages: ["uvicorn==0.1.0"], installLog: "error: no wheel for uvicorn==0.1.0" },
      });
    const cells = [failed("0.1.0"), { ...failed("0.1.1"), preload: false }, record({ uvicorn: "0.2.0" })];
    const data = embedded(renderHtml(results(cells)));
    expect(Object.keys(data.envs)).toHaveLength(2);
    const [one, two, three] = cells.map((c) => data.cells[cellId(c)].record);
    expect(one.env).toBe(two.env);
    expect(three.env).not.toBe(one.env);
    expect(data.envs[one.env]).toEqual({ packages: ["uvicorn==0.1.0"], installLog: "error: no wheel for uvicorn==0.1.0" });
    expect(one.evidence.installLog).toBeUndefined();
    expect(one.evidence.packages).toBeUndefined();
  });

  it("gives every primary cell one heatmap button with its id and outcome, preferring docker over local", () => {
    const cells = [
      record({ python: "3.9", uvicorn: "0.11.3", outcome: "reproduced" }),
      record({ python: "3.11", uvicorn: "0.11.3", preload: false }),
      record({ python: "3.11", uvicorn: "0.11.4", app: "lifespan", outcome: "install-failed", reason: "no wheel" }),
      record({ python: "3.9", uvicorn: "0.11.3", runtime: "local", outcome: "clean" }),
      record({ python: "3.9", uvicorn: "0.20.0", runtime: "local", outcome: "timeout", reason: "gave up" }),
    ];
    const html = renderHtml(results(cells));
    const buttons = [...html.matchAll(/data-cell-id="([^"]+)" data-outcome="([^"]+)"/g)].map((m) => [m[1], m[2]]);
    expect(buttons.sort()).toEqual(
      [
        [cellId(cells[0] as CellRecord), "reproduced"],
        [cellId(cells[1] as CellRecord), "clean"],
        [cellId(cells[2] as CellRecord), "install-failed"],
        [cellId(cells[4] as CellRecord), "timeout"],
      ].sort(),
    );
    expect(Object.keys(embedded(html).cells)).toHaveLength(4);
  });

  it("keys each distinct failure fingerprint, most frequent first, with its cell count, and shows the key in the cells", () => {
    const cells = [
      failing("0.11.3", "RuntimeError: Task <Task pending coro=<x() at 0x7f01>> got Future <Future pending> attached to a different loop"),
      failing("0.11.4", "RuntimeError: Task <Task pending coro=<y() at 0x7f99>> got Future <Future done> attached to a different loop"),
      failing("0.12.0", "KeyError: '8 is not registered'"),
      record({ uvicorn: "0.13.0" }),
    ];
    const html = renderHtml(results(cells));
    expect(html).toContain(
      "<tr><th>F1</th><td>2</td><td>other-failure</td><td><code>RuntimeError: Task &lt;…&gt; got Future &lt;…&gt; attached to a different loop</code></td></tr>",
    );
    expect(html).toContain(
      "<tr><th>F2</th><td>1</td><td>other-failure</td><td><code>KeyError: &#39;N is not registered&#39;</code></td></tr>",
    );
    expect(html).not.toContain("<th>F3</th>");
    const shown = [...html.matchAll(/data-outcome="[^"]+" title="[^"]*">([^<]*)<\/button>/g)].map((m) => m[1]);
    expect(shown).toEqual(["F1", "F1", "F2", "✓"]);
  });

  it("loads nothing from the network, even when the data holds URLs", () => {
    const c = record({
      evidence: {
        ...record().evidence,
        resolution: {
          strategy: "latest",
          resolvedOn: "2026-11-25",
          platform: "x86_64-manylinux_2_31",
          constraints: [],
          onlyBinary: [],
          sources: { indexUrl: "https://pypi.org/simple", extraIndexUrls: ["http://mirror.example/simple"], findLinks: [] },
        },
      },
    });
    const html = renderHtml(results([c], { description: "See https://github.com/encode/uvicorn/issues/85 and `--preload`." }));
    expect(html).not.toMatch(/\b(?:src|href|action|xlink:href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain("<code>--preload</code>");
  });

  it("opens with the claim verdict and names each configuration's boundary", () => {
    const r = results(
      [
        record({ uvicorn: "0.11.3", outcome: "reproduced", reason: "signature in probe logs" }),
        record({ uvicorn: "0.11.4" }),
        record({ uvicorn: "0.11.3", preload: false }),
      ],
      { claim: { text: "first fixed release: 0.11.4", package: "uvicorn", firstFixed: "0.11.4", when: { preload: true } } },
    );
    const html = renderHtml(r);
    const verdict = claimVerdict(r);
    expect(verdict?.sentence).toBeTruthy();
    expect(html).toContain(escapeHtml(verdict?.sentence as string));
    expect(html).toContain("last affected <b>0.11.3</b>");
    expect(html).toContain("first clean <b>0.11.4</b>");
  });

  it("embeds the command that reruns one cell alone, on its runtime", () => {
    const docker = record({ uvicorn: "0.11.3" });
    const local = record({ uvicorn: "0.11.4", runtime: "local" });
    const cells = embedded(renderHtml(results([docker, local]))).cells;
    expect(cells[cellId(docker)].rerun).toBe(
      `npx repro-matrix run --set uvicorn=0.11.3 --set gunicorn=23.0.0 --only '${cellId(docker)}' --force`,
    );
    expect(cells[cellId(local)].rerun).toBe(
      `npx repro-matrix run --set uvicorn=0.11.4 --set gunicorn=23.0.0 --only '${cellId(local)}' --force --runtime local`,
    );
    // A scenario file other than the default is named, from the newest run that said which it read.
    const run = {
      startedAt: "2026-11-25T10:00:00Z",
      wallMs: 1,
      cells: 1,
      imagesBuilt: 0,
      imagesReused: 1,
      runtime: "docker",
      completed: true,
    };
    const named = embedded(renderHtml({ ...results([docker]), runs: [{ ...run, config: "scenarios/boot-profile.yaml" }] })).cells;
    expect(named[cellId(docker)].rerun).toMatch(/^npx repro-matrix run --config scenarios\/boot-profile\.yaml --set uvicorn=0\.11\.3 /);
  });

  it("plots time until all workers were up per preload setting, and mean PSS per worker", () => {
    const profiled = (workers: number, preload: boolean, allUpMs: number, pssKb: number) =>
      record({
        workers,
        preload,
        bootProfile: {
          allUpMs,
          allServedMs: allUpMs + 5000,
          workerMemory: Array.from({ length: workers }, (_, pid) => ({ pid, rssKb: 2 * pssKb, pssKb })),
        },
      });
    const html = renderHtml(
      results([
        profiled(1, true, 800, 20480),
        profiled(4, true, 1500, 10240),
        profiled(1, false, 900, 30720),
        profiled(4, false, 3000, 30720),
      ]),
    );
    const svg = /<svg class="chart"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? "";
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain(">--preload</text>");
    expect(svg).toContain(">no preload</text>");
    expect(svg).toContain("seconds until all workers were up");
    expect(svg).toContain("--preload, 4 workers: 1.50 s (mean of 1 cell)");
    expect(html).toContain(
      "<caption>Mean PSS per worker (MiB)</caption><tr><th>workers</th><th>1</th><th>4</th></tr><tr><th>--preload</th><td>20.0</td><td>10.0</td></tr><tr><th>no preload</th><td>30.0</td><td>30.0</td></tr>",
    );
  });

  it("puts the compatibility table with Overall first, a one-sentence verdict, and folds runs of identical versions", () => {
    const failed = (uvicorn: string) => record({ uvicorn, outcome: "install-failed", reason: "image build failed: x" });
    const r = results(
      [
        record({ uvicorn: "0.1.0", outcome: "reproduced" }),
        ...["0.2.0", "0.3.0", "0.4.0", "0.5.0"].map(failed),
        record({ uvicorn: "0.6.0" }),
        record({ uvicorn: "0.7.0" }),
      ],
      { claim: { text: "first fixed release: 0.6.0", package: "uvicorn", firstFixed: "0.6.0", when: {} } },
    );
    const html = renderHtml(r);
    const at = (s: string) => html.indexOf(s);
    expect(at('<section id="compat">')).toBeGreaterThan(0);
    expect(at('<section id="compat">')).toBeLessThan(at('<section id="verdict">'));
    expect(at('<section id="verdict">')).toBeLessThan(at('<table id="heatmap">'));
    expect(html).toContain("<th>Overall</th>");
    expect(html).toContain(
      '<p class="sentence verdict-not-settled">Not settled: last affected 0.1.0, first without the signature 0.6.0, 4 untestable in between (claimed fixed in 0.6.0).</p>',
    );
    // 0.3.0–0.5.0 look like 0.2.0; 0.7.0 alone looks like 0.6.0, too few to fold.
    expect(html).toContain('aria-expanded="false">0.3.0–0.5.0: 3 releases, same as above</button>');
    expect(html.match(/<tr data-run-of="1" hidden>/g)).toHaveLength(3);
    // The compatibility table folds the same run, its rows' statuses being the same too.
    expect(html).toContain('data-run="c1" aria-expanded="false">0.3.0–0.5.0: 3 releases, same as above</button>');
    expect(html.match(/<tr data-run-of="c1" hidden>/g)).toHaveLength(3);
    expect(html.match(/<tr data-run-of/g)).toHaveLength(6);
  });

  it("has no boot-profile section when no cell was profiled", () => {
    expect(renderHtml(results([record()]))).not.toContain("<svg");
  });

  it("ships a client script that opens a clicked cell's evidence, and closes it on Escape", async () => {
    const c = record({
      reason: "the signature appeared in 2 of 8 workers",
      evidence: { ...record().evidence, installLog: "built from the sdist" },
    });
    const html = renderHtml(results([c]));
    const dom = fakeDocument(embeddedText(html));
    // As the page runs it: the script text, with `document` in scope.
    new Function("document", CLIENT_SCRIPT)(dom.document);
    const button = dom.element({ dataset: { cellId: cellId(c) } });
    dom.fire("heatmap", "click", { target: button });
    // The data is inflated asynchronously (DecompressionStream): the panel opens once it is.
    await vi.waitFor(() => expect(dom.byId("evidence").open).toBe(true));
    const shown = dom.byId("evidence-body").text();
    expect(shown).toContain(c.outcome);
    expect(shown).toContain("the signature appeared in 2 of 8 workers");
    // The env's part, resolved from the shared envs.
    expect(shown).toContain(c.evidence.packages[0] ?? "(none resolved)");
    expect(shown).toContain("built from the sdist");
    dom.fire("document", "keydown", { key: "Escape", target: null });
    expect(dom.byId("evidence").open).toBe(false);
  });
});

describe("embedData", () => {
  it("is the data as JSON, gzipped, in base64: no `<` for a log line to end the script block with", () => {
    const cell = { label: "a </script> <b>", rerun: "repro-matrix run --only x", record: { ...record(), env: "e1" } };
    const data = { signature: "RuntimeError: <x>", harnessVersion: "0.1.0", columns: [{ python: "3.9" }], envs: {}, cells: { one: cell } };
    const text = embedData(data);
    expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(gunzipSync(Buffer.from(text, "base64")).toString("utf8"))).toEqual(data);
    // The same data, the same bytes: a report rendered again from results.json changes nothing.
    expect(embedData(structuredClone(data))).toBe(text);
  });
});

/** The page's script#data block, as text. */
function embeddedText(html: string): string {
  const m = /<script type="application\/gzip" data-encoding="base64" id="data">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error("no script#data in the page");
  return m[1];
}

interface FakeEl {
  hidden: boolean;
  open: boolean;
  colSpan: number;
  className: string;
  value: string;
  dataset: Record<string, string | undefined>;
  children: (FakeEl | string)[];
  listeners: Map<string, ((e: unknown) => void)[]>;
  textContent: string | null;
  text(): string;
  classList: { toggle(name: string, on: boolean): void };
  append(...nodes: (FakeEl | string)[]): void;
  replaceChildren(...nodes: (FakeEl | string)[]): void;
  setAttribute(name: string, value: string): void;
  addEventListener(type: string, listener: (e: unknown) => void): void;
  querySelectorAll(selector: string): FakeEl[];
  closest(selector: string): FakeEl | null;
  focus(): void;
  show(): void;
  close(): void;
}

/** Just enough DOM for the report's client script: elements by id, events fired by hand, text read back. */
function fakeDocument(dataJson: string) {
  const element = (over: Partial<FakeEl> = {}): FakeEl => {
    let own: string | null = null;
    const el: FakeEl = {
      hidden: false,
      open: false,
      colSpan: 1,
      className: "",
      value: "",
      dataset: {},
      children: [],
      listeners: new Map(),
      get textContent() {
        return own ?? el.text();
      },
      set textContent(v: string | null) {
        own = v;
        el.children = [];
      },
      text: () => (own ?? "") + el.children.map((ch) => (typeof ch === "string" ? ch : ch.text())).join(""),
      classList: { toggle: () => undefined },
      append: (...nodes) => void el.children.push(...nodes),
      replaceChildren: (...nodes) => {
        own = null;
        el.children = [...nodes];
      },
      setAttribute: () => undefined,
      addEventListener: (type, listener) => void el.listeners.set(type, [...(el.listeners.get(type) ?? []), listener]),
      querySelectorAll: () => [],
      closest: (selector) => (selector === "[data-cell-id]" && el.dataset.cellId !== undefined ? el : null),
      focus: () => undefined,
      show: () => {
        el.open = true;
      },
      close: () => {
        el.open = false;
      },
      ...over,
    };
    return el;
  };
  const ids = new Map<string, FakeEl>();
  const byId = (id: string) => {
    const found = ids.get(id) ?? element();
    ids.set(id, found);
    return found;
  };
  byId("data").textContent = dataJson;
  const root = element();
  const document = {
    getElementById: byId,
    createElement: () => element(),
    querySelectorAll: () => [],
    addEventListener: root.addEventListener,
  };
  const fire = (where: string, type: string, event: unknown) => {
    const target = where === "document" ? root : byId(where);
    const listeners = target.listeners.get(type) ?? [];
    expect(listeners.length, `${where} listens for ${type}`).toBeGreaterThan(0);
    for (const l of listeners) l(event);
  };
  return { document, element, byId, fire };
}
