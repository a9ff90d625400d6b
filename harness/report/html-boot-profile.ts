import type { CellRecord } from "../cell/record.js";
import { escapeHtml } from "./html-escape.js";

/*
 * The HTML report's boot profile: how long until every worker served, and memory per worker,
 * by worker count, with and without --preload. Hand-drawn SVG: no charting library, no network.
 */

const alpha = (vs: string[]) => [...new Set(vs)].sort();

/**
 * Cells with a boot profile, when they compare worker counts: every cell records one, but a
 * matrix of one worker count (the #85 scenario) has no curve to draw.
 */
export function profiledCells(cells: CellRecord[]): CellRecord[] {
  const profiled = cells.filter((c) => c.bootProfile);
  return new Set(profiled.map((c) => c.workers)).size > 1 ? profiled : [];
}

export interface Series {
  name: string;
  /**
   * Per worker count, means over its cells: seconds until all N workers were up (their own log
   * lines; the chart's measure), seconds until all had served a probe (an upper bound that also
   * depends on how connections spread), memory per worker (MiB).
   */
  points: { workers: number; seconds?: number; servedSeconds?: number; mib?: number; n: number }[];
}

const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);

export function bootSeries(cells: CellRecord[], metric: "pssKb" | "rssKb"): Series[] {
  const apps = new Set(cells.map((c) => c.app));
  const name = (c: CellRecord) => `${c.preload ? "--preload" : "no preload"}${apps.size > 1 ? ` · ${c.app}` : ""}`;
  return alpha(cells.map(name)).map((s) => {
    const mine = cells.filter((c) => name(c) === s);
    const workers = [...new Set(mine.map((c) => c.workers))].sort((a, b) => a - b);
    const points = workers.map((w) => {
      const at = mine.filter((c) => c.workers === w);
      const secondsOf = (ms: (c: CellRecord) => number | undefined) =>
        mean(at.flatMap((c) => (ms(c) === undefined ? [] : [(ms(c) as number) / 1000])));
      const seconds = secondsOf((c) => c.bootProfile?.allUpMs);
      const servedSeconds = secondsOf((c) => c.bootProfile?.allServedMs);
      const perCell = at.flatMap((c) => {
        const m = mean((c.bootProfile?.workerMemory ?? []).flatMap((x) => (x[metric] === undefined ? [] : [x[metric] / 1024])));
        return m === undefined ? [] : [m];
      });
      return {
        workers: w,
        n: at.length,
        ...(seconds === undefined ? {} : { seconds }),
        ...(servedSeconds === undefined ? {} : { servedSeconds }),
        ...(perCell.length ? { mib: mean(perCell) as number } : {}),
      };
    });
    return { name: s, points };
  });
}

/** A step of 1, 2 or 5 × 10^k giving about four ticks up to max. */
function niceStep(max: number): number {
  const raw = max / 4 || 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * p >= raw) ?? 10) * p;
}

const PALETTE = ["#2166ac", "#b2182b", "#1b7837", "#762a83", "#e08214", "#35978f"];

function servedChart(series: Series[]): string {
  const [W, H, L, R, T, B] = [600, 280, 56, 190, 12, 44];
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.workers)))].sort((a, b) => a - b);
  const ymax = Math.max(...series.flatMap((s) => s.points.map((p) => p.seconds ?? 0)), 0.001);
  const step = niceStep(ymax);
  const top = Math.ceil(ymax / step) * step;
  const [x0, x1] = [xs[0] ?? 0, xs.at(-1) ?? 1];
  const x = (w: number) => (x1 === x0 ? (L + W - R) / 2 : L + ((w - x0) / (x1 - x0)) * (W - L - R));
  const y = (s: number) => H - B - (s / top) * (H - T - B);
  const yTicks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const grid = [
    ...yTicks.map(
      (t) =>
        `<line x1="${L}" x2="${W - R}" y1="${y(t)}" y2="${y(t)}" class="grid"/><text x="${L - 6}" y="${y(t) + 4}" text-anchor="end">${+t.toFixed(3)}</text>`,
    ),
    ...xs.map((w) => `<text x="${x(w)}" y="${H - B + 16}" text-anchor="middle">${w}</text>`),
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" class="axis"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" class="axis"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">workers</text>`,
    `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">seconds until all workers were up</text>`,
  ];
  const lines = series.map((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = s.points.flatMap((p) => (p.seconds === undefined ? [] : [[x(p.workers), y(p.seconds), p] as const]));
    const dots = pts.map(
      ([px, py, p]) =>
        `<circle cx="${px}" cy="${py}" r="3.5" fill="${color}"><title>${escapeHtml(s.name)}, ${p.workers} workers: ${p.seconds?.toFixed(2)} s (mean of ${p.n} cell${p.n === 1 ? "" : "s"})</title></circle>`,
    );
    const legendY = T + 10 + i * 18;
    return [
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([px, py]) => `${px},${py}`).join(" ")}"/>`,
      ...dots,
      `<rect x="${W - R + 12}" y="${legendY - 8}" width="12" height="3" fill="${color}"/><text x="${W - R + 30}" y="${legendY - 3}">${escapeHtml(s.name)}</text>`,
    ].join("");
  });
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Seconds until all workers were up, by worker count">${grid.join("")}${lines.join("")}</svg>`;
}

function memoryTable(series: Series[], metric: string): string {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.workers)))].sort((a, b) => a - b);
  const rows = series.map((s) => {
    const tds = xs.map((w) => s.points.find((p) => p.workers === w)?.mib?.toFixed(1) ?? "");
    return `<tr><th>${escapeHtml(s.name)}</th>${tds.map((t) => `<td>${t}</td>`).join("")}</tr>`;
  });
  return `<table class="memory"><caption>Mean ${metric} per worker (MiB)</caption><tr><th>workers</th>${xs.map((w) => `<th>${w}</th>`).join("")}</tr>${rows.join("")}</table>`;
}

export function bootProfileSection(cells: CellRecord[]): string {
  const profiled = profiledCells(cells);
  if (profiled.length === 0) return "";
  // PSS splits pages shared after fork, which is what --preload is about; RSS only where the kernel gave no PSS.
  const hasPss = profiled.every((c) => c.bootProfile?.workerMemory.every((m) => m.pssKb !== undefined));
  const series = bootSeries(profiled, hasPss ? "pssKb" : "rssKb");
  return `<section id="boot-profile"><h2>Boot profile</h2><p>Means over ${profiled.length} profiled cells.</p>${servedChart(series)}${memoryTable(series, hasPss ? "PSS" : "RSS")}</section>`;
}
