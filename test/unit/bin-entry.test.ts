import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import { chooseEntry } from "../../bin/entry.js";
import { tempDir } from "../helpers/harness.js";

/** A checkout's shape: two sources, and maybe a build of them, with times set by hand. */
async function checkout(built: Date | undefined) {
  const root = await tempDir("bin-entry");
  const source = (name: string) => join(root, "harness", name);
  await mkdir(join(root, "harness", "cli"), { recursive: true });
  for (const file of [source("cli/main.ts"), source("cli/program.ts")]) {
    await writeFile(file, "");
    await utimes(file, new Date("2026-01-01"), new Date("2026-01-01"));
  }
  if (built) {
    const compiled = join(root, "dist", "harness", "cli", "main.js");
    await mkdir(join(root, "dist", "harness", "cli"), { recursive: true });
    await writeFile(compiled, "");
    await utimes(compiled, built, built);
  }
  return { url: pathToFileURL(`${root}/`), source };
}

describe("bin: which harness it runs", () => {
  let later: Date;
  beforeEach(() => {
    later = new Date("2026-01-02");
  });

  it("runs the compiled harness when it was built after every source changed", async () => {
    const { url } = await checkout(later);
    const entry = chooseEntry(url, {});
    expect(entry.kind).toBe("compiled");
    expect(entry.url.href).toBe(new URL("dist/harness/cli/main.js", url).href);
  });

  it("runs the sources through tsx when there is no build, a source changed since, or REPRO_MATRIX_TSX=1", async () => {
    expect(chooseEntry((await checkout(undefined)).url, {})).toMatchObject({ kind: "source", why: "not built" });
    const edited = await checkout(later);
    await utimes(edited.source("cli/program.ts"), new Date("2026-01-03"), new Date("2026-01-03"));
    expect(chooseEntry(edited.url, {})).toMatchObject({
      kind: "source",
      why: `${edited.source("cli/program.ts")} changed since the build`,
    });
    expect(chooseEntry((await checkout(later)).url, { REPRO_MATRIX_TSX: "1" })).toMatchObject({
      kind: "source",
      why: "REPRO_MATRIX_TSX=1",
    });
  });
});
