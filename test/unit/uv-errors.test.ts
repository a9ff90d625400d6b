import { describe, expect, it } from "vitest";
import { isNetworkFailure, isUsageError, summarizeUvFailure } from "../../harness/envs/uv-errors.js";

// Texts as uv 0.13.9 printed them for this project's real cases.
const NO_VERSION = `error: No solution found when resolving dependencies
  cause: Because there is no version of uvicorn==9999.0.0 and you require uvicorn==9999.0.0, we can conclude that your requirements are unsatisfiable.`;
const NEEDS_PYTHON = `error: No solution found when resolving dependencies
  cause: Because the requested Python version (>=3.9.2) does not satisfy Python>=3.10 and uvicorn==0.54.0 depends on Python>=3.10, we can conclude that uvicorn==0.54.0 cannot be used.
         And because only uvicorn<=0.54.0 is available and you require uvicorn==0.54.0, we can conclude that your requirements are unsatisfiable.`;
const NO_WHEEL = `error: No solution found when resolving dependencies
  cause: Because uvloop{platform_python_implementation != 'pypy' and sys_platform != 'win32'}>=0.12.0rc1,<=0.12.2 has no usable wheels and only the following versions of uvloop{sys_platform != 'win32'} are available:
             uvloop{sys_platform != 'win32'}<0.12.dev0
         we can conclude that uvloop{sys_platform != 'win32'}==0.12.* cannot be used.`;
const BROKEN_SDIST = `error: Failed to build \`uvicorn==0.2.0\`
  cause: The build backend returned an error
           File "<string>", line 23, in get_long_description
         FileNotFoundError: [Errno 2] No such file or directory: 'README.md'

hint: Build failures usually indicate a problem with the package or the build environment`;
const OFFLINE = `error: Request failed after 3 retries in 11.4s
  cause: Failed to fetch: http://127.0.0.1:9/simple/uvicorn/
  cause: error sending request for url (http://127.0.0.1:9/simple/uvicorn/)`;

const BAD_PLATFORM = `error: invalid value 'x86_64-manylinux_2_41' for '--python-platform <PYTHON_PLATFORM>'
  [possible values: windows, linux, x86_64-manylinux_2_40]

For more information, try '--help'.`;

const NEEDS_PYTHON_EXTRAS = `error: No solution found when resolving dependencies
  cause: Because the requested Python version (>=3.9.2) does not satisfy Python>=3.10 and you require uvicorn[standard]==0.54.0, we can conclude that your requirements are unsatisfiable.`;

describe("uv failures", () => {
  it("tells uv refusing the harness's own arguments from an env that cannot exist", () => {
    expect(isUsageError(BAD_PLATFORM)).toBe(true);
    for (const t of [NO_VERSION, NEEDS_PYTHON, NO_WHEEL, BROKEN_SDIST, OFFLINE]) expect(isUsageError(t)).toBe(false);
  });

  it("tells an unreachable index from a request that cannot be met", () => {
    expect(isNetworkFailure(OFFLINE)).toBe(true);
    for (const t of [NO_VERSION, NEEDS_PYTHON, NO_WHEEL, BROKEN_SDIST]) expect(isNetworkFailure(t)).toBe(false);
  });

  it("says in one short sentence why the env cannot exist", () => {
    expect(summarizeUvFailure(NO_VERSION)).toBe("no version uvicorn==9999.0.0 on the index");
    expect(summarizeUvFailure(NEEDS_PYTHON)).toBe("uvicorn==0.54.0 requires Python>=3.10");
    expect(summarizeUvFailure(NEEDS_PYTHON_EXTRAS)).toBe("uvicorn[standard]==0.54.0 requires Python>=3.10");
    expect(summarizeUvFailure(NO_WHEEL)).toBe("uvloop>=0.12.0rc1,<=0.12.2 has no wheel for this Python/platform and is binary-only");
    expect(summarizeUvFailure(BROKEN_SDIST)).toBe(
      "cannot build uvicorn==0.2.0: FileNotFoundError: [Errno 2] No such file or directory: 'README.md'",
    );
  });
});

describe("image build failures", () => {
  it("names the package that failed to build and the compiler's first error", async () => {
    const { buildFailureCause } = await import("../../harness/envs/build-failure-cause.js");
    const lines = [
      "  Building wheel for httptools (setup.py): started",
      "      httptools/parser/parser.c:1234:5: error: too few arguments to function '_PyUnicode_Ready'",
      "  ERROR: Failed building wheel for httptools",
      "error: failed-wheel-build-for-install",
    ];
    expect(buildFailureCause(lines)).toBe(
      "Failed building wheel for httptools (httptools/parser/parser.c:1234:5: error: too few arguments to function '_PyUnicode_Ready')",
    );
  });

  it("names a fatal error (a missing header), not pip's own error lines, as the compiler's first error", async () => {
    const { buildFailureCause } = await import("../../harness/envs/build-failure-cause.js");
    // From the install log of httptools 0.0.13 on Python 3.11 (#85 matrix, uvicorn 0.5.2).
    const lines = [
      "  Building wheel for httptools (setup.py): finished with status 'error'",
      "  error: subprocess-exited-with-error",
      "      x86_64-linux-gnu-gcc -Wsign-compare -DNDEBUG -g -fwrapv -O2 -Wall -fPIC -I/opt/venv/include -I/usr/include/python3.11 -c httptools/parser/parser.c -o build/temp.linux-x86_64-cpython-311/httptools/parser/parser.o -O2",
      "      httptools/parser/parser.c:196:12: fatal error: longintrepr.h: No such file or directory",
      '        196 |   #include "longintrepr.h"',
      "      compilation terminated.",
      "      error: Command '['x86_64-linux-gnu-gcc', '-c', 'httptools/parser/parser.c']' returned non-zero exit status 1.",
      "  ERROR: Failed building wheel for httptools",
      "Failed to build httptools",
    ];
    expect(buildFailureCause(lines)).toBe(
      "Failed building wheel for httptools (httptools/parser/parser.c:196:12: fatal error: longintrepr.h: No such file or directory)",
    );
  });
});
