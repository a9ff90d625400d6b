import Docker from "dockerode";
import { PrerequisiteError } from "../errors.js";

/** Connect to the engine named by DOCKER_HOST (or the default socket) and check that it answers. */
export async function connectDocker(timeoutMs = 5000): Promise<Docker> {
  const docker = new Docker();
  try {
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error("no answer")), timeoutMs).unref())]);
  } catch (err) {
    const where = process.env.DOCKER_HOST ?? "/var/run/docker.sock";
    throw new PrerequisiteError(`no Docker engine answers at ${where}: start one (e.g. \`sudo dockerd\`; see README) or set DOCKER_HOST`, {
      cause: err,
    });
  }
  return docker;
}
