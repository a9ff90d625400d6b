import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { CellRecord } from "./record.js";

/** One line per finished cell, appended at once: an interrupted run loses no finished cell. */
export async function appendRecord(file: string, record: CellRecord): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(record)}\n`);
}
