import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { LockResult } from "../envs/lock.js";
import type { EnvContext } from "../envs/prepare-env.js";
import { ensureUv } from "../envs/uv.js";
import { IndexCache } from "../releases/index-page.js";
import { openRuntime, type RuntimeChoice } from "../runtimes/registry.js";
import type { Runtime } from "../runtimes/runtime.js";
import type { RuntimeSession } from "../runtimes/session.js";
import { experimentCode } from "./cell-key.js";
import { RunStop } from "./run-stop.js";

export interface RunSessionOptions {
  runtime: RuntimeChoice;
  cacheDir: string;
  /** The user's stop (Ctrl-C). */
  signal: AbortSignal;
  /** Build again the env layers whose build failed before, instead of reporting the recorded failure. */
  rebuild?: boolean;
  /** Docker: a fresh container for every cell, instead of one kept per env that its cells share in turn. */
  containerPerCell?: boolean;
}

/**
 * What a run or a bisect opens once and every env and cell of it uses: the stop signal (Ctrl-C
 * or a silent engine), the runtime, the index pages fetched so far, uv, and the hash of the code
 * that decides a cell's outcome. Nothing of it outlives the session: there is no process-wide
 * cache, and closing it removes whatever the run started.
 */
export class RunSession implements AsyncDisposable {
  readonly runId: string;
  /** Absolute once, here: local servers run in their own working folder, where a relative venv path would point nowhere. */
  readonly cacheDir: string;
  readonly index = new IndexCache();
  /** Locks being resolved: an env warmed ahead and its own build share one resolution. */
  private readonly locks = new Map<string, Promise<LockResult>>();
  private uv: Promise<string> | undefined;
  private code: string | undefined;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly stop: RunStop,
    private readonly opened: RuntimeSession,
    runId: string,
    cacheDir: string,
  ) {
    this.runId = runId;
    this.cacheDir = cacheDir;
  }

  /** Opens the runtime (a one-line error when it cannot), reaps what crashed runs left, and starts watching its engine. */
  static async open(o: RunSessionOptions): Promise<RunSession> {
    const runId = randomUUID().slice(0, 8);
    const cacheDir = resolve(o.cacheDir);
    const stop = new RunStop(o.signal);
    try {
      const opened = await openRuntime(o.runtime, {
        runId,
        cacheDir,
        signal: stop.signal,
        retryFailedBuilds: Boolean(o.rebuild),
        reuseContainers: !o.containerPerCell,
      });
      const session = new RunSession(stop, opened, runId, cacheDir);
      await opened.reapOrphans();
      stop.watch(opened);
      return session;
    } catch (err) {
      stop[Symbol.dispose]();
      throw err;
    }
  }

  /** Aborts on Ctrl-C or when the runtime's engine stops answering: every build and cell takes it. */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  get runtime(): Runtime {
    return this.opened.runtime;
  }

  /** Why auto chose the runtime it chose, if it passed one over. */
  get note(): string | undefined {
    return this.opened.note;
  }

  /** What preparing an env needs; uv is installed once, on first use. */
  async envContext(): Promise<EnvContext> {
    this.uv ??= ensureUv(this.cacheDir, this.signal);
    return {
      backend: this.opened.backend,
      cacheDir: this.cacheDir,
      uv: await this.uv,
      signal: this.signal,
      index: this.index,
      locks: this.locks,
    };
  }

  /** The hash of the code that turns this runtime's server into an outcome, read once per session. */
  get experimentCode(): string {
    this.code ??= experimentCode(this.opened.codeDir);
    return this.code;
  }

  /** `work`, or the engine's silence once it is noticed (some engine calls take no signal). */
  until<T>(work: Promise<T>): Promise<T> {
    return this.stop.until(work);
  }

  /** Ends the run, its builds and cells, for a state of the runtime that its watchdog cannot see. */
  giveUp(reason: Error): void {
    this.stop.giveUp(reason);
  }

  /** Why the run stopped, in one line when it is the runtime's machine going away; else `err` itself. */
  failure(err: unknown): unknown {
    const reason = this.stop.reason(err);
    return this.opened.explainFailure?.(reason) ?? reason;
  }

  /**
   * Removes everything this run started. Bounded, and never throws: with the engine gone it cannot
   * succeed, and must not stop the finished cells being saved; the next run reaps by label.
   */
  close(): Promise<void> {
    this.closed ??= this.opened
      .removeRun()
      .catch(() => undefined)
      .finally(() => this.stop[Symbol.dispose]());
    return this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
