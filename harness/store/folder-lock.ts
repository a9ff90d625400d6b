import { mkdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import lockfile from "proper-lockfile";
import { z } from "zod";
import { ConfigError, HarnessError } from "../core/errors.js";
import { readJsonFile, writeAtomic } from "../core/json-file.js";

// The holder touches the lock every few seconds; one untouched for STALE_MS was left by a process
// that died without releasing it (kill -9, power loss), and the next writer takes it over. Wide
// margins: on a loaded machine a timer can fire seconds late, and a live holder must not look dead.
const STALE_MS = 20_000;
const UPDATE_MS = 4_000;
const POLL_MS = 1_000;
const OWNER_POLL_MS = 100;
const OWNER_TRIES = 20;

/** Who holds the lock, for the message of a run that finds it taken. */
const Owner = z.strictObject({ command: z.string(), pid: z.number(), host: z.string(), since: z.string() });

export interface FolderLock extends AsyncDisposable {
  /** Throws if the lock was lost meanwhile (taken over as stale): writing now could undo another run's results. */
  assertHeld(): void;
  release(): Promise<void>;
}

export interface LockOptions {
  /** What holds it, e.g. "run" or "merge", for the messages of those who wait. */
  command: string;
  /** Wait for the holder to finish (true), or stop at once with a usage error (--no-wait). */
  wait: boolean;
  signal?: AbortSignal;
  /** Told once, when the lock is taken and this process starts waiting. */
  onWait?: (message: string) => void;
}

/**
 * An exclusive lock on a report folder (proper-lockfile: an atomic mkdir of <dir>/results.lock,
 * its mtime kept fresh while held), taken before results.json is read and held until it is
 * written: two runs into one folder would otherwise both read the same results and the later
 * write would drop the other's cells. Released on every way out; process exit included.
 */
export async function lockFolder(dir: string, o: LockOptions): Promise<FolderLock> {
  await mkdir(dir, { recursive: true });
  const ownerFile = join(dir, "results.lock.owner.json");
  let lost: Error | undefined;
  let waiting = false;
  let polls = 0;
  for (;;) {
    o.signal?.throwIfAborted();
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(dir, {
        lockfilePath: join(dir, "results.lock"),
        stale: STALE_MS,
        update: UPDATE_MS,
        realpath: false,
        retries: 0,
        // The default throws from a timer, which would crash the process mid-run.
        onCompromised: (err) => {
          lost = err;
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
      const owner = await readJsonFile(ownerFile, Owner);
      // The holder writes its owner file just after taking the lock: a run that finds the lock in
      // that gap looks again shortly, so that its message can say who holds it.
      if (!owner && polls < OWNER_TRIES) {
        polls += 1;
        await sleep(OWNER_POLL_MS, undefined, o.signal ? { signal: o.signal } : {});
        continue;
      }
      const who = owner ? describeOwner(owner) : "another repro-matrix";
      if (!o.wait)
        throw new ConfigError(`${dir}: ${who} is writing these results; try again when it is done, or without --no-wait to wait for it`);
      if (!waiting) o.onWait?.(`${dir}: waiting for ${who} to finish writing these results (Ctrl-C stops waiting)`);
      waiting = true;
      await sleep(POLL_MS, undefined, o.signal ? { signal: o.signal } : {});
      continue;
    }
    const since = new Date().toISOString();
    await writeAtomic(ownerFile, `${JSON.stringify({ command: o.command, pid: process.pid, host: hostname(), since })}\n`);
    let released = false;
    const held: FolderLock = {
      assertHeld: () => {
        if (lost)
          throw new HarnessError(
            `${dir}: lost the lock on these results (${lost.message}), so nothing was written (a run's finished cells are in results.jsonl: run --resume)`,
            { cause: lost },
          );
      },
      release: async () => {
        if (released) return;
        released = true;
        // A lock that was taken over is no longer ours to remove, nor is its owner file.
        if (lost) return;
        await rm(ownerFile, { force: true });
        await release().catch(() => undefined);
      },
      [Symbol.asyncDispose]: () => held.release(),
    };
    return held;
  }
}

function describeOwner(o: z.infer<typeof Owner>): string {
  const who = `repro-matrix ${o.command} (pid ${o.pid} on ${o.host}, since ${o.since}`;
  // A holder killed with kill -9 could not release: its lock is taken over once it goes stale.
  if (o.host === hostname() && !alive(o.pid)) return `${who}; no longer running: its lock goes stale within ${STALE_MS / 1000} s)`;
  return `${who})`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
