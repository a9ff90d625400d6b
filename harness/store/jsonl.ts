import { appendFile, mkdir, open, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { CellRecord, migrateLegacyAxes } from "../cell/record.js";

/**
 * One line per finished cell, appended at once: an interrupted run loses no finished cell. A
 * line torn by a crash mid-write (no newline at the end of the file) is closed first, so the
 * new record starts on a line of its own instead of being glued to the broken one.
 */
export async function appendRecord(file: string, record: CellRecord): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  if (await endsTorn(file)) await appendFile(file, "\n");
  await appendFile(file, `${JSON.stringify(record)}\n`);
}

async function endsTorn(file: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, "r");
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

export interface JsonlRead {
  records: CellRecord[];
  /** Lines that were not a whole record (a torn last line after kill -9), with why: skipped, never fatal. */
  skipped: { line: number; why: string }[];
}

/** Every whole record in the file, in order; a missing file has none. */
export async function readRecords(file: string): Promise<JsonlRead> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return { records: [], skipped: [] };
  }
  const records: CellRecord[] = [];
  const skipped: JsonlRead["skipped"] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped.push({ line: i + 1, why: `not a whole JSON line (${line.length} bytes; torn by a crash mid-write?)` });
      return;
    }
    // A line an older harness appended (a killed run's) reads like one of today's.
    const parsed = CellRecord.safeParse(migrateLegacyAxes(value));
    if (parsed.success) records.push(parsed.data);
    else
      skipped.push({
        line: i + 1,
        why: `not a cell record (${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message})`,
      });
  });
  return { records, skipped };
}

/** Start over once results.json holds every record: the file stays as small as one run. */
export async function clearRecords(file: string): Promise<void> {
  await writeFile(file, "").catch(() => undefined);
}
