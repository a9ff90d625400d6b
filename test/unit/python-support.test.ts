import { describe, expect, it } from "vitest";
import type { PackageSources } from "../../harness/releases/pypi-files.js";
import { versionsNotFor } from "../../harness/releases/python-support.js";

const PYPI_ONLY: PackageSources = { indexUrl: "https://pypi.org/simple", extraIndexUrls: [], findLinks: [] };

/** A PEP 691 page for one project, each file with the Requires-Python given (or none). */
function page(files: [string, string | undefined][]): typeof globalThis.fetch {
  return (async () =>
    Response.json(
      {
        meta: { "api-version": "1.1" },
        name: "demo",
        files: files.map(([filename, rp]) => ({
          filename,
          url: `https://files.example/${filename}`,
          hashes: { sha256: "0".repeat(64) },
          ...(rp === undefined ? {} : { "requires-python": rp }),
        })),
      },
      { headers: { "content-type": "application/vnd.pypi.simple.v1+json" } },
    )) as typeof globalThis.fetch;
}

describe("versionsNotFor (releases the index says cannot install on a Python)", () => {
  it("names the versions whose every file requires another Python, with what they require", async () => {
    const fetch = page([
      ["demo-1.0.tar.gz", undefined],
      ["demo-2.0-py3-none-any.whl", ">=3.8"],
      ["demo-3.0-py3-none-any.whl", ">=3.10"],
      ["demo-3.0.tar.gz", ">=3.10"],
      // One file that would install is enough to keep the version.
      ["demo-4.0-py3-none-any.whl", ">=3.10"],
      ["demo-4.0.tar.gz", ">=3.7"],
      // pip ignores a Requires-Python it cannot parse; so does this.
      ["demo-5.0.tar.gz", ">=3.6.*"],
      // A filename whose version is not PEP 440 belongs to no version, and breaks nothing.
      ["demo-3.0.foo-py3-none-any.whl", ">=3.6"],
    ]);
    const out = await versionsNotFor("demo", ["1.0", "2.0", "3.0", "4.0", "5.0", "6.0"], "3.9.2", PYPI_ONLY, { fetch });
    expect([...out]).toEqual([["3.0", ">=3.10"]]);
    expect([...(await versionsNotFor("demo", ["3.0", "4.0"], "3.11.2", PYPI_ONLY, { fetch }))]).toEqual([]);
  });

  it("matches versions by PEP 440, whatever the spelling", async () => {
    const fetch = page([["demo-1.0.0-py3-none-any.whl", ">=3.12"]]);
    expect([...(await versionsNotFor("demo", ["1.0"], "3.9.2", PYPI_ONLY, { fetch }))]).toEqual([["1.0", ">=3.12"]]);
  });
});
