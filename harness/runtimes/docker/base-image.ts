import { join } from "node:path";
import type Docker from "dockerode";
import { contentHash } from "../../core/hash.js";
import { readJsonFile, writeAtomic } from "../../core/json-file.js";
import { BASE_CHECK_SCRIPT, BaseFacts } from "../../envs/base-facts.js";

/** Provides the image an env layer builds on: Python plus a compiler, nothing of the app. */
export interface BaseImageProvider {
  /** Stable description, part of every env image's content hash. */
  readonly recipe: string;
  /** Returns an image reference the engine has, building or pulling it only when missing. */
  ensure(docker: Docker, signal: AbortSignal): Promise<{ ref: string; built: boolean }>;
}

/**
 * The base cannot exist on this machine (no such host interpreter, or one that fails the base
 * check): data about the env, so its cells are install-failed with this reason, not the run's end.
 */
export class BaseUnavailable extends Error {}

/** The image's id, or undefined when the engine has no such image. */
export async function imageId(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch {
    return undefined;
  }
}

export const imageExists = async (docker: Docker, ref: string): Promise<boolean> => (await imageId(docker, ref)) !== undefined;

/**
 * The base check's facts, by image id: an id never changes what the image holds, so the check
 * (a container and a venv with pip, seconds) runs once per image, not once per run.
 */
const baseCheckFile = (cacheDir: string, id: string) =>
  // The check's own hash too: a changed check (what it reads, how) is run again on every image.
  join(cacheDir, "base-checks", `${id.replace(/[^\w.-]+/g, "_")}-${contentHash(BASE_CHECK_SCRIPT, 8)}.json`);
export const recalledBaseCheck = (cacheDir: string, id: string) => readJsonFile(baseCheckFile(cacheDir, id), BaseFacts);
export const rememberBaseCheck = (cacheDir: string, id: string, facts: BaseFacts) =>
  writeAtomic(baseCheckFile(cacheDir, id), JSON.stringify(facts));
