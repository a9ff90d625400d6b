import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogCollector } from "../../harness/evidence/log-collector.js";
import { LocalRuntime } from "../../harness/runtimes/local/local-runtime.js";

// A real process started by the local runtime reports the session and rlimits it runs under,
// and the runtime records the same limits for the cell (issue #20, item 7).
const REPORT = `
import os, resource
print("session-leader", os.getsid(0) == os.getpid(), flush=True)
for name in ("RLIMIT_CORE", "RLIMIT_NOFILE", "RLIMIT_AS"):
    print(name, resource.getrlimit(getattr(resource, name))[0], flush=True)
`;

let stateDir: string;
let python: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "local-confinement-"));
  python = (await execa("python3", ["-c", "import sys; print(sys.executable)"])).stdout.trim();
});

afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe("the local runtime confines what it can", () => {
  it("runs the server in its own session with no core files, bounded open files and address space, and records them", async () => {
    const runtime = new LocalRuntime({ runId: "confinement", stateDir });
    const logs = new LogCollector([]);
    const lines: string[] = [];
    logs.onLine((l) => lines.push(l.text));
    {
      await using server = await runtime.start(
        {
          image: join(stateDir, "no-venv"),
          command: () => [python, "report.py"],
          files: [{ path: "report.py", content: REPORT }],
          logs,
          labels: {},
          memoryMiB: 256,
        },
        new AbortController().signal,
      );
      await server.exited;
      await server.stop(5);
      expect(lines).toEqual(["session-leader True", "RLIMIT_CORE 0", "RLIMIT_NOFILE 4096", `RLIMIT_AS ${256 * 4 * 1024 * 1024}`]);
      expect(server.limits).toEqual({
        readOnlyRoot: false,
        network: "host",
        ownSession: true,
        rlimits: { core: 0, nofile: 4096, as: 256 * 4 * 1024 * 1024 },
      });
    }
    await runtime.removeRunDir();
  });
});
