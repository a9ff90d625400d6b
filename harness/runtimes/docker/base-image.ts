import type Docker from "dockerode";

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
