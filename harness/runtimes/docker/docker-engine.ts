import Docker from "dockerode";
import { PrerequisiteError } from "../../core/errors.js";
import { engineAddress } from "../../core/settings.js";

/** Connect to the engine named by DOCKER_HOST (or the default socket) and check that it answers. */
export async function connectDocker(timeoutMs = 5000): Promise<Docker> {
  const docker = new Docker();
  try {
    await pingWithin(docker, timeoutMs);
  } catch (err) {
    const where = engineAddress();
    throw new PrerequisiteError(`no Docker engine answers at ${where}: start one (e.g. \`sudo dockerd\`; see README) or set DOCKER_HOST`, {
      cause: err,
    });
  }
  return docker;
}

/** A ping the engine must answer within `ms`; dockerode's ping takes an abort signal like its other calls, though its types do not say so. */
export const pingWithin = (docker: Docker, ms: number) =>
  (docker.ping as unknown as (o: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, { abortSignal: AbortSignal.timeout(ms) });
