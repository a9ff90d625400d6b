import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { z } from "zod";
import { PrerequisiteError } from "./errors.js";

/**
 * A JSON file checked against its schema, or undefined when it is missing, truncated (a crash
 * mid-write elsewhere) or of another shape: callers treat all three as "not there".
 */
export async function readJsonFile<S extends z.ZodType>(file: string, schema: S): Promise<z.output<S> | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Write via a temp file and rename, so a crash never leaves half a file for a reader. The text may
 * come in chunks, so a report of megabytes need not be built as one string first.
 */
export async function writeAtomic(file: string, text: string | Iterable<string>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    // Chunks are rendered as they are written: a renderer that throws must not leave the temp file.
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw writeFailure(file, err);
  }
}

/**
 * A write the machine refused, said in one line naming the file: an immutable or read-only
 * results.json (chattr +i, a read-only mount) is the machine's state, not a bug. A full disk
 * keeps its code, with the path of the file it was writing (the temp file's name helps no one).
 */
function writeFailure(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return Object.assign(err as Error, { path: file });
  if (code === "EPERM" || code === "EACCES" || code === "EROFS")
    return new PrerequisiteError(`cannot write ${file} (${code}): it or its folder is read-only or immutable (chattr -i, permissions)`, {
      cause: err,
    });
  return err;
}
