import { isHostBase } from "../../envs/host-interpreters.js";
import type { BaseImageProvider } from "./base-image.js";
import { DebianBaseImage } from "./debian-base-image.js";
import { HostPythonBaseImage } from "./host-python-base-image.js";
import { RegistryBaseImage } from "./registry-base-image.js";

/**
 * `debian:<suite>` builds offline with debootstrap; `pyenv` and `host:<prefix>` copy an
 * interpreter of this machine into its own Debian suite; any other value names a registry image.
 */
export function baseImageProvider(base: string, cacheDir: string, python?: string): BaseImageProvider {
  const debian = base.match(/^debian:([a-z]+)$/);
  if (debian?.[1]) return new DebianBaseImage(debian[1], cacheDir);
  if (isHostBase(base)) {
    if (!python) throw new Error(`base ${base} needs the Python version it stands for`);
    return new HostPythonBaseImage(base, python, cacheDir);
  }
  return new RegistryBaseImage(base);
}
