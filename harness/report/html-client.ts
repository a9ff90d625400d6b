import type { CellRecord } from "../cell/record.js";
import type { StoredEnv } from "../store/stored-results.js";

/** What the page embeds (script#data: JSON, gzipped, base64) for the client to read. */
export interface ClientData {
  /** The claim's signature regex, to mark the matched text; absent: whole matching lines are marked. */
  signature?: string;
  harnessVersion: string;
  /** Per heatmap column (index = data-col), the raw value of each axis the filters select on. */
  columns: Record<string, string>[];
  /** Each env's lock, resolution and install log once, by the key its cells name (as in results.json). */
  envs: Record<string, StoredEnv>;
  cells: Record<string, ClientCell>;
}

/** A cell's record as embedded: its env's part of the evidence is in `envs`, under `env`. */
export type ClientRecord = Omit<CellRecord, "evidence"> & {
  env: string;
  evidence: Omit<CellRecord["evidence"], "packages" | "resolution" | "installLog">;
};

export interface ClientCell {
  label: string;
  rerun: string;
  fingerprint?: string;
  fingerprintKey?: string;
  /** The machine it ran on, as one line (the client cannot reach the harness's formatting). */
  machine?: string;
  record: ClientRecord;
}

/*
 * The few DOM types the client uses. The project's tsconfig has no DOM lib on purpose (the harness
 * runs in Node and must not see browser globals), so the client gets `document` as a parameter
 * typed by these.
 */
interface El {
  hidden: boolean;
  open: boolean;
  colSpan: number;
  className: string;
  value: string;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  classList: { toggle(name: string, on: boolean): void };
  append(...nodes: (El | string)[]): void;
  replaceChildren(...nodes: (El | string)[]): void;
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  addEventListener(type: string, listener: (e: Ev) => void): void;
  querySelectorAll(selector: string): Iterable<El>;
  closest(selector: string): El | null;
  focus(): void;
  show(): void;
  close(): void;
}
interface Doc {
  getElementById(id: string): El | null;
  createElement(tag: string): El;
  querySelectorAll(selector: string): Iterable<El>;
  addEventListener(type: string, listener: (e: Ev) => void): void;
}
interface Ev {
  target: El | null;
  key?: string;
}

/**
 * Runs in the browser: column filters and the evidence panel. Serialized with toString(), so it
 * must not reference anything outside its own body; everything it needs comes from script#data.
 * All text goes in through textContent/append, never innerHTML: log lines hold `<Task ...>`.
 */
export function client(doc: Doc): void {
  /** script#data: JSON, gzipped, in base64 (html.ts embedData). */
  const inflate = async (base64: string): Promise<ClientData> => {
    const bytes = Uint8Array.from(atob(base64.trim()), (ch) => ch.charCodeAt(0));
    const json = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(json).text()) as ClientData;
  };
  let data: ClientData = { harnessVersion: "", columns: [], envs: {}, cells: {} };
  let signature: RegExp | undefined;
  // Everything that reads the data waits for it: the page is usable before it is inflated.
  const loaded = inflate(doc.getElementById("data")?.textContent ?? "").then((d) => {
    data = d;
    try {
      signature = d.signature ? new RegExp(d.signature, "g") : undefined;
    } catch {
      // A Python-only regex feature (e.g. (?P<name>...)): fall back to marking whole lines.
      signature = undefined;
    }
  });
  const panel = doc.getElementById("evidence") as El;
  const body = doc.getElementById("evidence-body") as El;

  const el = (tag: string, text?: string, className?: string) => {
    const e = doc.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (className) e.className = className;
    return e;
  };
  const section = (title: string, ...content: El[]) => {
    const s = el("section");
    s.append(el("h3", title), ...content);
    return s;
  };
  const list = (entries: [string, string | El][]) => {
    const dl = el("dl");
    for (const [k, v] of entries) {
      const dd = el("dd");
      dd.append(v);
      dl.append(el("dt", k), dd);
    }
    return dl;
  };
  const counts = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, n]) => `${k} × ${n}`)
      .join(", ") || "none";
  const ms = (n: number | undefined) => (n === undefined ? "?" : n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(2)} s`);

  /** A signature line with the regex's matches marked, or the whole line when the regex finds none. */
  const marked = (text: string) => {
    const span = el("span");
    let last = 0;
    for (const m of signature ? text.matchAll(signature) : []) {
      if (m[0] === "") continue;
      span.append(text.slice(last, m.index), el("mark", m[0]));
      last = m.index + m[0].length;
    }
    if (last === 0) span.append(el("mark", text));
    else span.append(text.slice(last));
    return span;
  };
  type Line = ClientRecord["evidence"]["logTail"][number];
  const logLines = (lines: Line[], signatureLines: Set<number>) => {
    const pre = el("pre");
    for (const l of lines) {
      pre.append(el("span", `${String(l.n).padStart(5)} ${l.stream} ${l.phase.padEnd(8)} `, "ln"));
      pre.append(signatureLines.has(l.n) ? marked(l.text) : l.text, "\n");
    }
    return pre;
  };

  const summary = (c: ClientCell) => {
    const r = c.record;
    const e = r.evidence;
    const served = `${e.pidsServed.length}/${e.workersAsked}${e.pidsServed.length ? ` (pids ${e.pidsServed.join(", ")})` : ""}`;
    const entries: [string, string | El][] = [
      ["Outcome", r.outcome],
      ["Reason", r.reason],
      ["Requests", String(e.requests)],
      ["Status counts", counts(e.statusCounts)],
      ["Connection errors", counts(e.connectionErrors)],
      ["Workers served", served],
      ["Readiness", `${e.readiness.state} after ${ms(e.readiness.afterMs)}`],
      ["Tracebacks", `${e.tracebacks}${e.tracebackPhases.length ? ` (${e.tracebackPhases.join(", ")})` : ""}`],
      [
        "Phases",
        Object.entries(r.phasesMs ?? {})
          .map(([p, n]) => `${p} ${ms(n)}`)
          .join(" · ") || "?",
      ],
      ["Duration", ms(r.durationMs)],
      ["Last verified", r.startedAt],
      ["Harness version", r.harnessVersion ?? `${data.harnessVersion} (report)`],
      ["Runtime", `${r.runtime}${r.image ? ` · ${r.image}` : ""}`],
      ["Python", r.pythonFull ?? r.python],
      ["Machine", c.machine ?? "not recorded"],
      ["Command", el("code", r.command.join(" "))],
    ];
    if (e.exit) entries.splice(7, 0, ["Exit", `code ${e.exit.exitCode}${e.exit.killed ? " (killed by the harness)" : ""}`]);
    if (c.fingerprint) entries.splice(2, 0, ["Fingerprint", `${c.fingerprintKey}: ${c.fingerprint}`]);
    return list(entries);
  };

  /** Any record-like value as a definition list: arrays joined, nested objects as JSON. */
  const generic = (o: object) =>
    list(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : String(v)]));

  const bootProfile = (p: NonNullable<ClientRecord["bootProfile"]>) => {
    const table = el("table");
    const head = el("tr");
    head.append(el("th", "pid"), el("th", "RSS (MiB)"), el("th", "PSS (MiB)"));
    table.append(head);
    for (const w of p.workerMemory) {
      const tr = el("tr");
      const mib = (kb: number | undefined) => (kb === undefined ? "?" : (kb / 1024).toFixed(1));
      tr.append(el("td", String(w.pid)), el("td", mib(w.rssKb)), el("td", mib(w.pssKb)));
      table.append(tr);
    }
    return section(
      "Boot profile",
      list([
        ["All workers up after (their logs)", ms(p.allUpMs)],
        ["All workers served a probe after", ms(p.allServedMs)],
      ]),
      table,
    );
  };

  const render = (c: ClientCell) => {
    const r = c.record;
    const e = r.evidence;
    const env = data.envs[r.env];
    const sigLines = new Set(e.signatureMatches.map((l) => l.n));
    const parts: El[] = [el("h2", c.label), el("p", r.outcome, `badge o-${r.outcome}`)];
    parts.push(section("Rerun this cell alone", el("code", c.rerun, "rerun")));
    parts.push(section("Summary", summary(c)));
    if (e.signatureMatches.length)
      parts.push(section(`Signature matches (${e.signatureMatches.length})`, logLines(e.signatureMatches, sigLines)));
    if (e.firstOtherTraceback?.length) parts.push(section("First other traceback", el("pre", e.firstOtherTraceback.join("\n"))));
    if (env?.installLog) parts.push(section("Install log", el("pre", env.installLog)));
    if (e.logTail.length) parts.push(section(`Log tail (of ${e.totalLogLines} lines)`, logLines(e.logTail, sigLines)));
    if (r.bootProfile) parts.push(bootProfile(r.bootProfile));
    const packages = env?.packages ?? [];
    parts.push(section(`Package lock (${packages.length})`, el("pre", packages.join("\n") || "(none resolved)", "packages")));
    if (env?.resolution) parts.push(section("Resolution", generic(env.resolution)));
    body.replaceChildren(...parts);
  };

  let selected: El | null = null;
  const open = async (button: El) => {
    await loaded;
    const c = data.cells[button.dataset.cellId ?? ""];
    if (!c) return;
    selected?.classList.toggle("selected", false);
    selected = button;
    button.classList.toggle("selected", true);
    render(c);
    if (!panel.open) panel.show();
    (doc.getElementById("evidence-close") as El).focus();
  };
  const closePanel = () => {
    selected?.classList.toggle("selected", false);
    panel.close();
  };
  /** A folded run of versions that look like the one above: its line opens and closes them. */
  const toggleRun = (button: El) => {
    const opening = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(opening));
    for (const row of doc.querySelectorAll(`tr[data-run-of="${button.dataset.run}"]`)) row.hidden = !opening;
  };
  doc.getElementById("heatmap")?.addEventListener("click", (e) => {
    const button = e.target?.closest("[data-cell-id]");
    if (button) void open(button);
    const run = e.target?.closest("[data-run]");
    if (run) toggleRun(run);
  });
  doc.getElementById("compat")?.addEventListener("click", (e) => {
    const run = e.target?.closest("[data-run]");
    if (run) toggleRun(run);
  });
  doc.getElementById("evidence-close")?.addEventListener("click", closePanel);
  doc.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && panel.open) closePanel();
  });

  /** Hide the columns the filters exclude; group headers shrink to the columns still shown. */
  const applyFilters = () => {
    const chosen = [...doc.querySelectorAll("select[data-axis]")].filter((s) => s.value !== "");
    const shown = data.columns.map((col) => chosen.every((s) => col[s.dataset.axis ?? ""] === s.value));
    for (const x of doc.querySelectorAll("[data-col]")) x.hidden = !shown[Number(x.dataset.col)];
    for (const th of doc.querySelectorAll("[data-cols]")) {
      const n = (th.dataset.cols ?? "").split(",").filter((i) => shown[Number(i)]).length;
      th.hidden = n === 0;
      th.colSpan = Math.max(n, 1);
    }
    const status = doc.getElementById("filter-status");
    if (status) status.textContent = `${shown.filter(Boolean).length} of ${shown.length} columns shown`;
  };
  for (const s of doc.querySelectorAll("select[data-axis]")) s.addEventListener("change", () => void loaded.then(applyFilters));
}

/**
 * The client as a script. Transpilers with keepNames (tsx, which bin/ runs the harness with) wrap
 * inner functions in an `__name(fn, "name")` helper that exists only in Node, so the page defines
 * a no-op one.
 */
export const CLIENT_SCRIPT = `var __name = function (f) { return f; };\n(${client.toString()})(document);`;
