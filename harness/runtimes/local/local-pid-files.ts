/** Pid files of local servers, and the reaper that kills what a crashed harness left running. */
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { z } from "zod";
import { readJsonFile } from "../../core/json-file.js";

/** What a crashed harness leaves behind for the next run to find: one file per server. */
export const PidRecord = z.strictObject({
  pid: z.number().int().positive(),
  pgid: z.number().int().positive(),
  /** Start time in clock ticks since boot (/proc/<pid>/stat): tells the server from a later process with its pid. */
  startTime: z.string().optional(),
  harnessPid: z.number().int().positive(),
  runId: z.string(),
  venv: z.string(),
  appDir: z.string(),
  labels: z.record(z.string(), z.string()),
});
export type PidRecord = z.infer<typeof PidRecord>;

const pidDir = (stateDir: string) => join(stateDir, "local", "pids");

/**
 * Kill the process groups of servers whose harness is gone (a crash, a kill -9), and remove
 * their pid files and app folders. Servers of live harnesses (parallel runs, tests) are left
 * alone. Returns how many groups were killed.
 */
export async function reapLocalOrphans(stateDir: string): Promise<number> {
  const dir = pidDir(stateDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  let killed = 0;
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    const file = join(dir, name);
    // Unreadable or truncated (a host crash): not ours to judge; pid files are written whole, by rename.
    const record = await readJsonFile(file, PidRecord);
    if (!record) continue;
    if (isAlive(record.harnessPid)) continue;
    if ((await isOurGroup(record)) && signalProcess(-record.pgid, "SIGKILL")) killed++;
    if (isInside(join(stateDir, "local"), record.appDir)) {
      await rm(record.appDir, { recursive: true, force: true });
      await rmdir(dirname(record.appDir)).catch(() => undefined);
    }
    await rm(file, { force: true });
  }
  return killed;
}

/**
 * Whether the recorded group still is the server's, not some later process that got its pid:
 * a live leader must have the recorded start time (or, without one, still name the venv on
 * its command line; gunicorn's setproctitle can rename it, hence the start time first).
 * With the leader gone, any member left is the group's own: Linux does not reuse a pid that
 * still names a process group.
 */
async function isOurGroup(record: PidRecord): Promise<boolean> {
  const leader = await readStat(record.pid);
  if (leader) {
    if (leader.pgid !== record.pgid) return false;
    if (record.startTime) return leader.startTime === record.startTime;
    const cmdline = await readFile(`/proc/${record.pid}/cmdline`, "utf8").catch(() => "");
    return cmdline.includes(record.venv);
  }
  return (await groupMembers(record.pgid)) > 0;
}

async function groupMembers(pgid: number): Promise<number> {
  const pids = (await readdir("/proc").catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  const stats = await Promise.all(pids.map((p) => readStat(Number(p))));
  return stats.filter((s) => s?.pgid === pgid && s.state !== "Z").length;
}

/** The fields of /proc/<pid>/stat the reaper needs; the command name may hold spaces and ")". */
export async function readStat(pid: number): Promise<{ state: string; pgid: number; startTime: string } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (!text) return undefined;
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const [state, , pgrp] = fields;
  const startTime = fields[19];
  if (!state || !pgrp || !startTime) return undefined;
  return { state, pgid: Number(pgrp), startTime };
}

export async function writePidRecord(stateDir: string, record: PidRecord): Promise<string> {
  const dir = pidDir(stateDir);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${record.runId}-${record.pid}.json`);
  // Written whole or not at all: a reaper never reads half a record.
  await writeFile(`${file}.tmp`, JSON.stringify(record, null, 2));
  await rename(`${file}.tmp`, file);
  return file;
}

/** false when there is no such process (group), or it is not ours to signal (EPERM: a reused pid). */
export function signalProcess(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ESRCH" || code === "EPERM") return false;
    throw err;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export const isInside = (dir: string, path: string) => {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
};
