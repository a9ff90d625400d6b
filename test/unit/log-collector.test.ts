import { describe, expect, it } from "vitest";
import { compileSignature } from "../../harness/config/signature.js";
import { LogCollector } from "../../harness/evidence/log-collector.js";

const SIG = [compileSignature("RuntimeError: Event loop is closed")];

describe("LogCollector", () => {
  it("records signature lines with stream, line number and phase, across chunk boundaries", () => {
    const c = new LogCollector(SIG);
    c.write("stderr", "[INFO] Booting worker\nRuntimeError: Event loop");
    c.phase = "probe";
    c.write("stderr", " is closed\n");
    const s = c.finish();
    expect(s.signatureMatches).toEqual([{ n: 2, stream: "stderr", phase: "probe", text: "RuntimeError: Event loop is closed" }]);
  });

  it("keeps head and tail only, but still finds a match in the dropped middle", () => {
    const c = new LogCollector(SIG, { headLines: 3, tailLines: 2, maxLineLength: 100, maxMatches: 5 });
    for (let i = 0; i < 1000; i++) c.write("stdout", `line ${i}\n`);
    c.write("stderr", "RuntimeError: Event loop is closed\n");
    for (let i = 0; i < 10; i++) c.write("stdout", `after ${i}\n`);
    const s = c.finish();
    expect(s.head.map((l) => l.text)).toEqual(["line 0", "line 1", "line 2"]);
    expect(s.tail.map((l) => l.text)).toEqual(["after 8", "after 9"]);
    expect(s.totalLines).toBe(1011);
    expect(s.droppedLines).toBe(1006);
    expect(s.signatureMatches).toHaveLength(1);
  });

  it("times workers coming up by their own startup lines, one entry per pid, none from shutdown", async () => {
    const c = new LogCollector(SIG);
    const up = (pid: number, what = "Application startup complete.") =>
      c.write("stderr", `[2026-11-25 10:00:00 +0000] [${pid}] [INFO] ${what}\n`);
    up(11, "Started server process [11]");
    expect(c.workersUpAt(1)).toBeTypeOf("number");
    expect(c.workersUpAt(2)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 5));
    up(12);
    up(12);
    expect(c.workersUpAt(3)).toBeUndefined();
    expect(c.workersUpAt(2) as number).toBeGreaterThan(c.workersUpAt(1) as number);
    c.phase = "shutdown";
    up(13);
    expect(c.workersUpAt(3)).toBeUndefined();
  });

  it("bounds a line that never ends", () => {
    const c = new LogCollector(SIG, { headLines: 10, tailLines: 10, maxLineLength: 10, maxMatches: 5 });
    for (let i = 0; i < 100; i++) c.write("stdout", "x".repeat(1000));
    const s = c.finish();
    expect(s.head.every((l) => l.text.length <= 11)).toBe(true);
  });

  it("keeps the first traceback that is not the signature's", () => {
    const c = new LogCollector(SIG);
    c.write(
      "stderr",
      [
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in <module>',
        "RuntimeError: Event loop is closed",
        "Traceback (most recent call last):",
        '  File "app.py", line 9, in __call__',
        "    await loop.run_in_executor(None, f)",
        "RuntimeError: Task got Future attached to a different loop",
        "[INFO] next",
        "",
      ].join("\n"),
    );
    const s = c.finish();
    expect(s.tracebacks).toBe(2);
    expect(s.firstOtherTraceback?.at(-1)).toBe("RuntimeError: Task got Future attached to a different loop");
    expect(s.firstOtherTraceback).toHaveLength(4);
  });

  it("knows the workers that failed a probe's request from their log lines, counted only while probing", () => {
    const c = new LogCollector(SIG);
    // A readiness request failed by worker 7: not a probe.
    c.write("stderr", '[2026-11-26 01:01:00 +0000] [7] [INFO] None - "GET / HTTP/1.1" 500\n');
    c.phase = "probe";
    c.write("stderr", "[2026-11-26 01:01:00 +0000] [11] [ERROR] Exception in ASGI application\n");
    c.write("stderr", '[2026-11-26 01:01:00 +0000] [12] [INFO] None - "GET / HTTP/1.1" 500\n');
    c.write("stderr", '[2026-11-26 01:01:00 +0000] [13] [INFO]  - "GET /?x=1 HTTP/1.1" 404\n');
    // Answered well: the body named the pid, the log line adds nothing.
    c.write("stderr", '[2026-11-26 01:01:00 +0000] [14] [INFO] None - "GET / HTTP/1.1" 200\n');
    expect([...c.workersReached].sort()).toEqual([11, 12, 13]);
    expect(c.signatureSeen).toBe(false);
    c.write("stderr", "RuntimeError: Event loop is closed\n");
    expect(c.signatureSeen).toBe(true);
  });
});
