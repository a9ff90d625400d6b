import { cellId, cellLabel, type EnvSpec } from "../cell/cell.js";
import type { RunEvent } from "./events.js";

/** What is in flight: a cell's server or an env's preparation, since when. */
export interface InFlight {
  label: string;
  since: number;
}

/** `py3.9 uvicorn 0.11.4 gunicorn 23.0.0`: the env's Python and pins, in the cell label's terms. */
export const envLabel = (spec: EnvSpec) => `py${spec.python} ${spec.packages.map((p) => `${p.name} ${p.version}`).join(" ")}`;

/** `42 s`, `4m05s`, `1h02m`: short enough for a status line, exact enough to plan by. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/**
 * A run's progress as its events tell it, for the reporters to draw: counts, the cells running
 * and the envs being prepared now, and from the cells that ran a server, a rate and an ETA.
 * The clock is passed in, so what a reporter prints can be tested to the character.
 */
export class Progress {
  total = 0;
  done = 0;
  /** Cells whose recorded result stood in (same cell key): no server started, no time spent. */
  reused = 0;
  /** Whether run-started came: until then the run resolves versions and opens its runtime. */
  started = false;
  readonly running = new Map<string, InFlight>();
  readonly preparing = new Map<string, InFlight>();
  /** Env labels by key, so env-ready (which names only the key) can be said in words. */
  readonly envLabels = new Map<string, string>();

  /** When the command began: the wall time a user waits counts from there. */
  private readonly t0: number;

  constructor(readonly now: () => number = () => performance.now()) {
    this.t0 = now();
  }

  apply(e: RunEvent): void {
    switch (e.type) {
      case "run-started":
        this.total = e.total;
        this.started = true;
        break;
      case "env-started":
        this.envLabels.set(e.key, envLabel(e.spec));
        this.preparing.set(e.key, { label: envLabel(e.spec), since: this.now() });
        break;
      case "env-ready":
        this.preparing.delete(e.key);
        break;
      case "cell-started":
        this.running.set(cellId(e.cell), { label: cellLabel(e.cell), since: this.now() });
        break;
      case "cell-finished":
        this.done = e.done;
        this.total = e.total;
        if (e.reused) this.reused++;
        this.running.delete(cellId(e.record));
        break;
      case "run-finished":
        this.running.clear();
        this.preparing.clear();
        break;
    }
  }

  /** Milliseconds since the command began. */
  elapsed(): number {
    return this.now() - this.t0;
  }

  /** Cells that ran a server, per minute so far; undefined until one has. */
  ratePerMinute(): number | undefined {
    const ran = this.done - this.reused;
    const minutes = this.elapsed() / 60_000;
    return ran > 0 && minutes > 0 ? ran / minutes : undefined;
  }

  /** The time the cells still to do would take at the rate so far (reused ones among them cost less). */
  etaMs(): number | undefined {
    const rate = this.ratePerMinute();
    return rate === undefined ? undefined : ((this.total - this.done) / rate) * 60_000;
  }

  /** `[37/432] 9% · 2.1 cells/min · ETA 3h05m · 12m30s elapsed · 120 reused` */
  statusLine(): string {
    const pct = this.total > 0 ? Math.floor((this.done / this.total) * 100) : 0;
    const rate = this.ratePerMinute();
    const eta = this.etaMs();
    return [
      `[${this.done}/${this.total}] ${pct}%`,
      ...(rate === undefined ? [] : [`${rate.toFixed(1)} cells/min`]),
      ...(eta === undefined ? [] : [`ETA ${shortDuration(eta)}`]),
      `${shortDuration(this.elapsed())} elapsed`,
      ...(this.reused > 0 ? [`${this.reused} reused`] : []),
    ].join(" · ");
  }
}
