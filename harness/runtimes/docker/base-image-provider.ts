import type { BaseImageProvider } from "./base-image.js";
import { DebianBaseImage } from "./debian-base-image.js";
import { RegistryBaseImage } from "./registry-base-image.js";

/** `debian:<suite>` builds offline with debootstrap; any other value names a registry image. */
export function baseImageProvider(base: string, cacheDir: string): BaseImageProvider {
  const debian = base.match(/^debian:([a-z]+)$/);
  if (debian?.[1]) return new DebianBaseImage(debian[1], cacheDir);
  return new RegistryBaseImage(base);
}
