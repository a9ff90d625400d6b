import { z } from "zod";
import { connectDocker } from "../../runtimes/docker/docker-engine.js";
import { removeAllManaged, removeCachedImages } from "../../runtimes/docker/reaper.js";

const CleanFlags = z.strictObject({ images: z.boolean().optional(), quiet: z.boolean().optional() });

export async function cleanAction(flags: unknown): Promise<number> {
  const f = CleanFlags.parse(flags);
  const docker = await connectDocker();
  const containers = await removeAllManaged(docker);
  const removedImages = f.images ? await removeCachedImages(docker) : 0;
  if (!f.quiet) process.stderr.write(`removed ${containers} container(s)${f.images ? ` and ${removedImages} image(s)` : ""}\n`);
  return 0;
}
