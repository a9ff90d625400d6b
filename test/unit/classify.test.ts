import { describe, expect, it } from "vitest";
import { classify, type RunFacts } from "../../harness/classify/classify.js";
import { compileSignature } from "../../harness/config/signature.js";
import { LogCollector } from "../../harness/evidence/log-collector.js";

const logsOf = (stderr = "") => {
  const c = new LogCollector([compileSignature("RuntimeError: Event loop is closed")]);
  c.write("stderr", stderr);
  return c.finish();
};

/** uvicorn 0.3.26's UvicornWorker, whose server never starts. */
const STALLED_LOG =
  "Task exception was never retrieved\nTraceback (most recent call last):\n  File \"/opt/venv/lib/python3.9/site-packages/uvicorn/workers.py\", line 109, in create_servers\n    config = Config(\nNameError: name 'Config' is not defined\n";

const healthy: RunFacts = {
  readiness: { state: "ready", afterMs: 900 },
  probes: { requests: 48, statusCounts: { 200: 48 }, connectionErrors: {}, pidsServed: [1, 2, 3, 4], unexpected: [], workerMemory: [] },
  logs: logsOf("[INFO] Booting worker\n"),
  workersAsked: 4,
  expectedStatus: 200,
  cellTimedOut: false,
};

describe("classify", () => {
  it("is clean only when all probes and all workers answered and no traceback appeared", () => {
    expect(classify(healthy)).toEqual({ outcome: "clean", reason: "48/48 × 200 from 4/4 workers" });
  });

  it("is reproduced when the signature appears, even though every probe succeeded", () => {
    const r = classify({ ...healthy, logs: logsOf("RuntimeError: Event loop is closed\n") });
    expect(r.outcome).toBe("reproduced");
    expect(r.reason).toBe("signature in boot logs (1 line)");
  });

  it("is reproduced when the signature appears and the server never booted", () => {
    const r = classify({
      ...healthy,
      readiness: { state: "exited", afterMs: 10, exit: { exitCode: 3, killed: false } },
      logs: logsOf("RuntimeError: Event loop is closed\n"),
    });
    expect(r.outcome).toBe("reproduced");
  });

  it("is other-failure when some workers never served", () => {
    const r = classify({ ...healthy, probes: { ...healthy.probes!, pidsServed: [1, 2] } });
    expect(r).toEqual({ outcome: "other-failure", reason: "only 2/4 workers served" });
  });

  it("is other-failure on 5xx or connection errors, with counts", () => {
    const r = classify({
      ...healthy,
      probes: { ...healthy.probes!, statusCounts: { 200: 40, 500: 6 }, connectionErrors: { UND_ERR_SOCKET: 2 } },
    });
    expect(r.outcome).toBe("other-failure");
    expect(r.reason).toBe("8/48 probes failed (6×500, 2×UND_ERR_SOCKET)");
  });

  it("is other-failure on another traceback, naming its exception", () => {
    const r = classify({ ...healthy, logs: logsOf('Traceback (most recent call last):\n  File "a.py"\nValueError: boom\n') });
    expect(r).toEqual({ outcome: "other-failure", reason: "1 traceback in boot: ValueError: boom" });
  });

  it("is boot-failure when the server exited before answering", () => {
    const r = classify({
      ...healthy,
      probes: undefined,
      readiness: { state: "exited", afterMs: 800, exit: { exitCode: 3, killed: false } },
      logs: logsOf('Traceback (most recent call last):\n  File "app.py"\nImportError: nope\n[INFO] Reason: Worker failed to boot.\n'),
    });
    expect(r).toEqual({ outcome: "boot-failure", reason: "exited with code 3 before answering HTTP: ImportError: nope" });
  });

  it("is boot-failure naming the worker class when the env lacks it", () => {
    const r = classify({
      ...healthy,
      probes: undefined,
      readiness: { state: "exited", afterMs: 300, exit: { exitCode: 1, killed: false } },
      logs: logsOf(
        "\nError: class uri 'uvicorn_worker.UvicornWorker' invalid or not found: \n\n[Traceback (most recent call last):\n" +
          '  File "/opt/venv/lib/python3.9/site-packages/gunicorn/util.py", line 99, in load_class\n' +
          "ModuleNotFoundError: No module named 'uvicorn_worker'\n]\n",
      ),
    });
    expect(r).toEqual({
      outcome: "boot-failure",
      reason: "worker class uvicorn_worker.UvicornWorker not found in this env (ModuleNotFoundError: No module named 'uvicorn_worker')",
    });
  });

  it("is boot-failure saying the worker class failed to load when its module breaks on import", () => {
    const r = classify({
      ...healthy,
      probes: undefined,
      readiness: { state: "exited", afterMs: 300, exit: { exitCode: 1, killed: false } },
      logs: logsOf(
        "Error: class uri 'uvicorn.workers.UvicornWorker' invalid or not found: \n\n[Traceback (most recent call last):\n" +
          "AttributeError: module 'asyncio' has no attribute 'coroutine'. Did you mean: 'coroutines'?\n]\n",
      ),
    });
    expect(r.reason).toBe(
      "worker class uvicorn.workers.UvicornWorker failed to load: AttributeError: module 'asyncio' has no attribute 'coroutine'. Did you mean: 'coroutines'?",
    );
  });

  it("is boot-failure naming the worker class when its module lacks it", () => {
    const r = classify({
      ...healthy,
      probes: undefined,
      readiness: { state: "exited", afterMs: 300, exit: { exitCode: 255, killed: false } },
      logs: logsOf(
        "[INFO] Using worker: uvicorn.workers.NoSuchWorker\n[ERROR] Unhandled exception in main loop\nTraceback (most recent call last):\n" +
          '  File "/opt/venv/lib/python3.9/site-packages/gunicorn/arbiter.py", line 588, in spawn_worker\n' +
          "    worker = self.worker_class(self.worker_age, self.pid, self.LISTENERS,\nTypeError: 'str' object is not callable\n",
      ),
    });
    expect(r).toEqual({
      outcome: "boot-failure",
      reason: "worker class uvicorn.workers.NoSuchWorker not found in this env (its module has no such attribute)",
    });
  });

  it("is boot-failure when workers crash in a loop, naming the exception", () => {
    const r = classify({
      ...healthy,
      probes: undefined,
      readiness: { state: "crash-loop", afterMs: 3000 },
      logs: logsOf(
        "[2026-11-25 10:00:00 +0000] [7] [INFO] Booting worker with pid: 7\nTraceback (most recent call last):\n  File \"w.py\"\nRuntimeError: There is no current event loop in thread 'MainThread'.\n[2026-11-25 10:00:00 +0000] [8] [INFO] Booting worker with pid: 8\n",
      ),
    });
    expect(r).toEqual({
      outcome: "boot-failure",
      reason:
        "workers crash-looping (1 traceback, 2 worker starts for 4 workers, no HTTP answer): RuntimeError: There is no current event loop in thread 'MainThread'.",
    });
  });

  it("is timeout when no answer came in time, never clean, naming the first error when there was one", () => {
    expect(classify({ ...healthy, probes: undefined, readiness: { state: "timeout", afterMs: 60_000 } })).toEqual({
      outcome: "timeout",
      reason: "no HTTP answer within 60 s",
    });
    expect(classify({ ...healthy, cellTimedOut: true }).outcome).toBe("timeout");
    const withError = classify({
      ...healthy,
      probes: undefined,
      readiness: { state: "timeout", afterMs: 60_000 },
      logs: logsOf(STALLED_LOG),
    });
    expect(withError.reason).toBe("no HTTP answer within 60 s: NameError: name 'Config' is not defined");
  });

  it("is boot-failure when every worker raised and the server then went quiet without answering", () => {
    const r = classify({ ...healthy, probes: undefined, readiness: { state: "stalled", afterMs: 11_000 }, logs: logsOf(STALLED_LOG) });
    expect(r).toEqual({
      outcome: "boot-failure",
      reason: "workers stalled (1 traceback for 4 workers, then silence and no HTTP answer): NameError: name 'Config' is not defined",
    });
  });
});
