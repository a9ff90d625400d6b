import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, writeAtomic } from "../core/json-file.js";

const BuildFailure = z.strictObject({ reason: z.string(), log: z.string(), at: z.string() });
export type BuildFailure = z.infer<typeof BuildFailure>;

/**
 * Env builds that failed, by the content hash of what was built (image tag or venv key). A build
 * is offline and deterministic (the same recipe and files), so the same inputs fail the same
 * way: a re-run reports the recorded failure instead of compiling for minutes to learn it again.
 * `retry` (from --rebuild) ignores what is recorded. `--force` re-runs cells, not builds: a
 * forced re-run of an old release would otherwise compile its failing sdists again (5 CPU-s and
 * more each) only to fall back to the same lifted env.
 */
export class BuildFailures {
  constructor(
    private readonly dir: string,
    private readonly retry = false,
  ) {}

  async recall(key: string): Promise<BuildFailure | undefined> {
    return this.retry ? undefined : readJsonFile(this.file(key), BuildFailure);
  }

  async remember(key: string, failure: { reason: string; log: string }): Promise<void> {
    await writeAtomic(this.file(key), JSON.stringify({ ...failure, at: new Date().toISOString() }, null, 2));
  }

  private file(key: string): string {
    return join(this.dir, `${key.replace(/[^\w.-]+/g, "_")}.json`);
  }
}
