import type { Signature } from "../config/signature.js";

/**
 * Where the server was when a line arrived: signature lines mean different things in each. A
 * scenario with steps has one phase per step instead of "probe", named after it: "step 2 (HUP master)".
 */
export type Phase = "boot" | "probe" | "shutdown" | StepPhase;
export type StepPhase = `step ${number} (${string})`;

/** A pattern read on every line, kept or not (a check's or a wait's): how often it matched per phase, and its first lines. */
export interface LineWatch {
  readonly re: Signature;
  readonly byPhase: Map<Phase, number>;
  /** The first few matching lines, as evidence. */
  readonly lines: LogLine[];
}

/** Matching lines a watch keeps as evidence; the counts go on. */
const WATCH_LINES = 5;

export interface LogLine {
  /** 1-based line number within its stream, counted over every line, kept or not. */
  n: number;
  stream: "stdout" | "stderr";
  phase: Phase;
  text: string;
}

export interface LogSummary {
  /** First and last lines of each stream; the middle of a huge log is dropped. */
  head: LogLine[];
  tail: LogLine[];
  totalLines: number;
  droppedLines: number;
  signatureMatches: LogLine[];
  /** The first traceback that does not contain a signature line, as its lines. */
  firstOtherTraceback?: string[];
  /** How many tracebacks (of any kind) began in the logs. */
  tracebacks: number;
  /** The phases in which tracebacks began (a shutdown-only traceback reads differently). */
  tracebackPhases: Phase[];
  /** Workers Gunicorn started ("Booting worker with pid"), respawns included. */
  workerBoots: number;
  /** Which workers booted, which were lost before the stop, and which stopped gracefully at it (classify's note). */
  workerLiveness: WorkerLiveness;
}

/**
 * What the logs say of each worker's life, by pid. A worker that booted, was not lost before the
 * stop and logged its own graceful exit at the stop was up the whole time the probes ran.
 */
export interface WorkerLiveness {
  booted: number[];
  /** Died, timed out, was killed or exited before the server was asked to stop. */
  lost: number[];
  /**
   * Logged a line of its own after the stop ("[N] [INFO] Shutting down", "Worker exiting (pid: N)")
   * and was not killed for hanging: it ran its exit path, so it was alive until then.
   */
  stoppedGracefully: number[];
}

export interface LogCaps {
  headLines: number;
  tailLines: number;
  maxLineLength: number;
  maxMatches: number;
}

export const DEFAULT_CAPS: LogCaps = { headLines: 400, tailLines: 400, maxLineLength: 2000, maxMatches: 50 };

/**
 * Gunicorn starting a worker: more of these than workers asked for means some died and were replaced.
 * The forked child logs it itself (arbiter.spawn_worker), so its pid is the worker's own.
 */
const WORKER_BOOT = /\[INFO\] Booting worker with pid: (\d+)/;

/** The worker's own last line, from spawn_worker's finally: it left init_process alive (on a stop: gracefully). */
const WORKER_EXITING = /Worker exiting \(pid: (\d+)\)/;

/**
 * Any line a process logs in Gunicorn's format, "[pid] [LEVEL] ...": at the stop, a worker's own
 * line shows it alive to handle the signal (Gunicorn 23 with uvicorn's workers logs no
 * "Worker exiting", only uvicorn's "Shutting down" and "Finished server process").
 */
const OWN_LINE = /\[(\d+)\] \[[A-Z]+\] /;

/** The master killing a worker that did not exit within the grace period, or timed out. */
const WORKER_KILLED = /Worker \(pid:(\d+)\) was sent SIGKILL|WORKER TIMEOUT \(pid:(\d+)\)/;

/** The master reporting a worker gone: exited, killed by a signal, or timed out (WORKER TIMEOUT, then SIGKILL). */
const WORKER_LOST = /Worker \(pid:(\d+)\) (?:exited|was sent)|WORKER TIMEOUT \(pid:(\d+)\)/;

/**
 * A uvicorn worker saying it is up, in Gunicorn's log format ("[pid] [INFO] ..."): the boot
 * profile times workers by these, since probes reach a worker only when the kernel hands it a
 * connection. "Application startup complete" comes after lifespan startup, where there is one.
 */
const WORKER_UP = /\[(\d+)\] \[INFO\] (?:Application startup complete|Started server process)/;

/**
 * A worker failing a request, in Gunicorn's log format: uvicorn's "Exception in ASGI application",
 * or an access line with a 4xx/5xx status (older uvicorn releases log these through Gunicorn's
 * error log, "[pid] [INFO] None - \"GET / HTTP/1.1\" 500"). An error page names no pid, but these
 * lines do, so the probes know which workers they reached even when every answer is a 500.
 */
const REQUEST_FAILED = /\[(\d+)\] \[(?:INFO|ERROR)\] (?:Exception in ASGI application|[^"]{0,200}"[A-Z]+ [^"]* HTTP\/[\d.]+" [45]\d\d)/;

/**
 * Collects a container's output line by line with bounded memory: head and tail are kept,
 * and every line, kept or not, is checked for the failure signatures as it arrives, so a log
 * bomb can neither exhaust memory nor hide a match.
 */
export class LogCollector {
  phase: Phase = "boot";
  /** Per worker pid, when (performance.now()) its latest "up" line arrived. */
  private readonly workersUp = new Map<number, number>();
  private workerBoots = 0;
  private readonly booted = new Set<number>();
  private readonly lost = new Set<number>();
  private readonly spokeAtStop = new Set<number>();
  private readonly killedAtStop = new Set<number>();
  /** performance.now() of the latest line (or of the start). */
  private lastLineAt = performance.now();
  /** Pids of workers that logged failing a request while the probes ran. */
  private readonly reached = new Set<number>();
  private readonly head: LogLine[] = [];
  private readonly tail: LogLine[] = [];
  private readonly matches: LogLine[] = [];
  private readonly counts = { stdout: 0, stderr: 0 };
  private readonly partial = { stdout: "", stderr: "" };
  private total = 0;
  private tracebacks = 0;
  private readonly tracebackPhases = new Set<Phase>();
  private currentTraceback: { lines: string[]; hasSignature: boolean } | undefined;
  private firstOtherTraceback: string[] | undefined;
  private readonly watches: LineWatch[] = [];
  private readonly listeners = new Set<(line: LogLine, raw: string) => void>();

  /** Reads `re` on every line from now on (a check's line, watched from the server's start). */
  watch(re: Signature): LineWatch {
    const w: LineWatch = { re, byPhase: new Map(), lines: [] };
    this.watches.push(w);
    return w;
  }

  /** Calls `listener` with every line as it arrives until the returned function is called (a wait step). */
  onLine(listener: (line: LogLine, raw: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** When (performance.now()) the n-th distinct worker had logged that it is up, if n have. */
  workersUpAt(n: number): number | undefined {
    return [...this.workersUp.values()].sort((a, b) => a - b)[n - 1];
  }

  /** Workers that booted and have not been lost so far: the probes keep looking for these (probe.ts). */
  get workersAlive(): ReadonlySet<number> {
    return new Set([...this.booted].filter((pid) => !this.lost.has(pid)));
  }

  /** Workers whose logs show they failed a probe's request. */
  get workersReached(): ReadonlySet<number> {
    return this.reached;
  }

  /** A signature has matched: the cell's outcome (reproduced) can no longer change. */
  get signatureSeen(): boolean {
    return this.matches.length > 0;
  }

  /** How long the server has printed nothing. */
  quietForMs(now = performance.now()): number {
    return now - this.lastLineAt;
  }

  /** Tracebacks so far: readiness uses it to notice workers that crash in a loop. */
  get tracebackCount(): number {
    return this.tracebacks;
  }

  /** Workers started so far, respawns included: workers that die without a traceback show here. */
  get workerBootCount(): number {
    return this.workerBoots;
  }

  /**
   * `signatures` come from compileSignature: matched by RE2, in time linear in each line, so a
   * hostile line (100 KB of what a pattern almost matches) cannot stall the event loop, where
   * Ctrl-C is handled.
   */
  constructor(
    private readonly signatures: readonly Signature[],
    private readonly caps: LogCaps = DEFAULT_CAPS,
  ) {}

  /** Feed raw output; lines are split on newlines, a trailing partial line waits for more. */
  write(stream: "stdout" | "stderr", chunk: string): void {
    const parts = (this.partial[stream] + chunk).split(/\r?\n/);
    this.partial[stream] = parts.pop() ?? "";
    // A line without a newline that grows past the cap is cut so it cannot grow forever.
    if (this.partial[stream].length > this.caps.maxLineLength * 4) {
      parts.push(this.partial[stream]);
      this.partial[stream] = "";
    }
    for (const line of parts) this.addLine(stream, line);
  }

  /** Flush partial lines and return the summary. */
  finish(): LogSummary {
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.partial[stream]) this.addLine(stream, this.partial[stream]);
      this.partial[stream] = "";
    }
    this.closeTraceback();
    return {
      head: [...this.head],
      tail: [...this.tail],
      totalLines: this.total,
      droppedLines: this.total - this.head.length - this.tail.length,
      signatureMatches: [...this.matches],
      ...(this.firstOtherTraceback ? { firstOtherTraceback: this.firstOtherTraceback } : {}),
      tracebacks: this.tracebacks,
      tracebackPhases: [...this.tracebackPhases],
      workerBoots: this.workerBoots,
      workerLiveness: {
        booted: [...this.booted],
        lost: [...this.lost],
        stoppedGracefully: [...this.spokeAtStop].filter((pid) => this.booted.has(pid) && !this.killedAtStop.has(pid)),
      },
    };
  }

  private addLine(stream: "stdout" | "stderr", raw: string): void {
    const text = raw.length > this.caps.maxLineLength ? `${raw.slice(0, this.caps.maxLineLength)}…` : raw;
    const line: LogLine = { n: ++this.counts[stream], stream, phase: this.phase, text };
    this.total++;
    this.lastLineAt = performance.now();
    this.trackWorkerLife(raw);
    const up = this.phase !== "shutdown" ? WORKER_UP.exec(raw) : null;
    if (up) this.workersUp.set(Number(up[1]), performance.now());
    const failed = this.phase !== "boot" && this.phase !== "shutdown" ? REQUEST_FAILED.exec(text) : null;
    if (failed) this.reached.add(Number(failed[1]));
    const isMatch = this.signatures.some((re) => re.test(raw));
    if (isMatch && this.matches.length < this.caps.maxMatches) this.matches.push(line);
    this.trackTraceback(text, isMatch);
    for (const w of this.watches) {
      if (!w.re.test(raw)) continue;
      w.byPhase.set(this.phase, (w.byPhase.get(this.phase) ?? 0) + 1);
      if (w.lines.length < WATCH_LINES) w.lines.push(line);
    }
    for (const listener of this.listeners) listener(line, raw);
    if (this.head.length < this.caps.headLines) this.head.push(line);
    else {
      this.tail.push(line);
      if (this.tail.length > this.caps.tailLines) this.tail.shift();
    }
  }

  /** Boots, losses and graceful exits by pid; a pid the kernel reuses after a loss stays lost (never reads as healthy). */
  private trackWorkerLife(raw: string): void {
    const boot = WORKER_BOOT.exec(raw);
    if (boot) {
      this.workerBoots++;
      if (this.phase !== "shutdown") this.booted.add(Number(boot[1]));
    }
    if (this.phase === "shutdown") {
      const own = OWN_LINE.exec(raw) ?? WORKER_EXITING.exec(raw);
      if (own) this.spokeAtStop.add(Number(own[1]));
      const killed = WORKER_KILLED.exec(raw);
      if (killed) this.killedAtStop.add(Number(killed[1] ?? killed[2]));
      return;
    }
    const lost = WORKER_LOST.exec(raw) ?? WORKER_EXITING.exec(raw);
    if (lost) this.lost.add(Number(lost[1] ?? lost[2]));
  }

  /** A Python traceback runs from its header to the first unindented line (the exception). */
  private trackTraceback(text: string, isMatch: boolean): void {
    const body = text;
    if (body.startsWith("Traceback (most recent call last)")) {
      this.closeTraceback();
      this.tracebacks++;
      this.tracebackPhases.add(this.phase);
      this.currentTraceback = { lines: [text], hasSignature: isMatch };
      return;
    }
    const tb = this.currentTraceback;
    if (!tb) return;
    if (tb.lines.length < 200) tb.lines.push(text);
    tb.hasSignature ||= isMatch;
    if (!/^\s/.test(body) && !body.startsWith("During handling") && !body.startsWith("The above exception") && body !== "") {
      this.closeTraceback();
    }
  }

  private closeTraceback(): void {
    const tb = this.currentTraceback;
    this.currentTraceback = undefined;
    if (tb && !tb.hasSignature && !this.firstOtherTraceback) this.firstOtherTraceback = tb.lines;
  }
}
