import type Docker from "dockerode";
import { DebianBaseImage } from "./debian-base-image.js";
import { RegistryBaseImage } from "./registry-base-image.js";

/** Provides the image an env layer builds on: Python plus a compiler, nothing of the app. */
export interface BaseImageProvider {
  /** Stable description, part of every env image's content hash. */
  readonly recipe: string;
  /** Returns an image reference the engine has, building or pulling it only when missing. */
  ensure(docker: Docker, signal: AbortSignal): Promise<{ ref: string; built: boolean }>;
}

/** `debian:<suite>` builds offline with debootstrap; any other value names a registry image. */
export function baseImageProvider(base: string, cacheDir: string): BaseImageProvider {
  const debian = base.match(/^debian:([a-z]+)$/);
  if (debian?.[1]) return new DebianBaseImage(debian[1], cacheDir);
  return new RegistryBaseImage(base);
}

/** The image's id, or undefined when the engine has no such image. */
export async function imageId(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch {
    return undefined;
  }
}

export const imageExists = async (docker: Docker, ref: string): Promise<boolean> => (await imageId(docker, ref)) !== undefined;
