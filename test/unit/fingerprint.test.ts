import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { failureFingerprint, normalizeError } from "../../harness/claims/fingerprint.js";
import { primaryCells } from "../../harness/claims/runtimes.js";
import { readResults } from "../helpers/results.js";

// Real first errors from reports/uvicorn-85-preload/results.json: one cause, several wordings.
const ASYNCIO_39 =
  "worker class uvicorn.workers.UvicornWorker failed to load: AttributeError: module 'asyncio' has no attribute 'coroutine'";
const ASYNCIO_313 = `${ASYNCIO_39}. Did you mean: 'coroutines'?`;
const HTTPTOOLS_BARE = "image build failed: Failed building wheel for httptools";
const HTTPTOOLS_CC =
  "image build failed: Failed building wheel for httptools (httptools/parser/parser.c:8977:51: error: ‘PyTypeObject’ {aka ‘struct _typeobject’} has no member named ‘tp_print’)";
const HTTPTOOLS_VENV = "venv install failed: Failed building wheel for httptools";

describe("fingerprints: one cause, one key", () => {
  it("drops Python's 'Did you mean' hints, so 3.13 and 3.9 share a key", () => {
    expect(normalizeError(ASYNCIO_313)).toBe(normalizeError(ASYNCIO_39));
    expect(normalizeError("NameError: name 'sys' is not defined. Did you forget to import 'sys'?")).toBe(
      "NameError: name 'sys' is not defined",
    );
    expect(normalizeError("NameError: name 'lop' is not defined. Did you mean 'loop'?")).toBe("NameError: name 'lop' is not defined");
  });

  it("gives an sdist that does not compile one key, whatever the wording, runtime or compiler detail", () => {
    const key = normalizeError(HTTPTOOLS_BARE);
    expect(key).toBe("cannot build httptools");
    for (const line of [
      HTTPTOOLS_CC,
      HTTPTOOLS_VENV,
      "image build failed: ERROR: Failed to build httptools",
      "image build failed: Failed to build `httptools==0.0.13`",
      "cannot build httptools==0.1.1",
    ])
      expect(normalizeError(line), line).toBe(key);
  });

  it("keeps what tells causes apart: the package, and an error that says why", () => {
    expect(normalizeError("image build failed: Failed building wheel for uvloop")).toBe("cannot build uvloop");
    expect(normalizeError("cannot build uvicorn==0.2.0: FileNotFoundError: [Errno 2] No such file or directory: 'README.md'")).toBe(
      "cannot build uvicorn: FileNotFoundError: [Errno N] No such file or directory: 'README.md'",
    );
    expect(normalizeError(ASYNCIO_39.replace("UvicornWorker", "UvicornH11Worker"))).not.toBe(normalizeError(ASYNCIO_39));
    expect(normalizeError("uvicorn[standard]==0.54.0 requires Python>=3.10")).toBe("uvicorn[standard] requires Python>=3.10");
    expect(normalizeError("uvicorn[standard]==0.40.0 requires Python>=3.10")).toBe("uvicorn[standard] requires Python>=3.10");
    expect(normalizeError("uvicorn==0.40.0 requires Python>=3.11")).not.toBe(normalizeError("uvicorn==0.40.0 requires Python>=3.10"));
  });

  it("the committed #85 results: no two fingerprints differ only by a hint or build wording", async () => {
    const cells = primaryCells((await readResults(join(process.cwd(), "reports", "uvicorn-85-preload", "results.json"))).cells);
    const prints = new Set(cells.map((c) => failureFingerprint(c)).filter((f) => f !== undefined));
    expect([...prints].filter((p) => /Did you mean|Failed building wheel/.test(p))).toEqual([]);
    expect([...prints].filter((p) => p.startsWith("cannot build httptools"))).toEqual(["cannot build httptools"]);
    expect(prints.size).toBe(7);
    // 0.54.0 excludes Python 3.7 and 3.9 by its Requires-Python: those combinations are not
    // applicable (no cells, results.json's notApplicable), so no install failure says so any more.
    expect([...prints].filter((p) => p.includes("requires Python"))).toEqual([]);
  });
});
