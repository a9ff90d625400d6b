import type Docker from "dockerode";
import { PrerequisiteError } from "../../core/errors.js";
import type { BaseImageProvider } from "./base-image.js";
import { imageExists } from "./base-image.js";

/** A registry image such as python:3.9-slim: used as it is, pulled only when missing. */
export class RegistryBaseImage implements BaseImageProvider {
  readonly recipe: string;

  constructor(private readonly name: string) {
    this.recipe = `registry ${name}`;
  }

  async ensure(docker: Docker, signal: AbortSignal): Promise<{ ref: string; built: boolean }> {
    if (await imageExists(docker, this.name)) return { ref: this.name, built: false };
    signal.throwIfAborted();
    try {
      const stream = await docker.pull(this.name);
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
      );
    } catch (err) {
      throw new PrerequisiteError(
        `cannot pull ${this.name} (${(err as Error).message.split("\n")[0]}): with no registry, use base: debian:<suite>`,
        { cause: err },
      );
    }
    return { ref: this.name, built: false };
  }
}
