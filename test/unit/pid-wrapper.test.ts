import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { Agent } from "undici";
import { describe, expect, it } from "vitest";
import { PID_HEADER, probeOnce } from "../../harness/probe/probe.js";
import { APPS_DIR } from "../../harness/run/fixtures.js";

/**
 * The wrapper on its own, in the host's Python (no uvicorn needed): it must keep the app's
 * interface as uvicorn would see it, add the pid header to HTTP answers only, hand lifespan
 * through untouched, and import the app's module when the entry is imported, not before.
 */
const CHECK = String.raw`
import asyncio, json, os, sys, types
sys.path.insert(0, sys.argv[1])
import _repro_matrix as rm

async def asgi3(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"a", b"1")]})
    await send({"type": "http.response.body", "body": b"x"})

class Asgi2:
    def __init__(self, scope):
        self.scope = scope
    async def __call__(self, receive, send):
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b"x"})

class Framework:
    state = "kept"
    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await send({"type": "lifespan.startup.complete"})
            return
        await asgi3(scope, receive, send)

class AwaitableClass:
    def __init__(self, scope, receive, send):
        self.args = (scope, receive, send)
    def __await__(self):
        return asgi3(*self.args).__await__()

def asgi2_function(scope):
    return Asgi2(scope)

mod = types.ModuleType("apps_mod")
mod.asgi3, mod.Asgi2, mod.framework, mod.AwaitableClass, mod.asgi2_function = asgi3, Asgi2, Framework(), AwaitableClass, asgi2_function
mod.nested = types.SimpleNamespace(app=asgi3)
sys.modules["apps_mod"] = mod

async def call(wrapped, asgi3_interface, scope_type):
    sent = []
    async def send(message):
        sent.append(message)
    async def receive():
        return {"type": "lifespan.startup"}
    scope = {"type": scope_type, "path": "/"}
    if asgi3_interface:
        await wrapped(scope, receive, send)
    else:
        await wrapped(scope)(receive, send)
    return [dict(m, headers=[[bytes(k).decode(), bytes(v).decode()] for k, v in m.get("headers", [])]) if "headers" in m else m for m in sent]

out = {}
for name in ["asgi3", "Asgi2", "framework", "AwaitableClass", "asgi2_function", "nested.app"]:
    target = mod
    for part in name.split("."):
        target = getattr(target, part)
    wrapped = rm.wrap("apps_mod", name)
    out[name] = {
        "interface_kept": rm.is_asgi3(wrapped) == rm.is_asgi3(target),
        "asgi3": rm.is_asgi3(wrapped),
        "http": asyncio.run(call(wrapped, rm.is_asgi3(wrapped), "http"))[0],
    }
out["lifespan"] = asyncio.run(call(rm.wrap("apps_mod", "framework"), True, "lifespan"))
out["state"] = rm.wrap("apps_mod", "framework").state

# The entry's import is what imports the app's module: not loaded before, loaded after.
with open(os.path.join(sys.argv[2], "late_app.py"), "w") as f:
    f.write("print('importing late_app', flush=True)\nasync def app(scope, receive, send):\n    pass\n")
sys.path.insert(0, sys.argv[2])
before = "late_app" in sys.modules
rm.wrap("late_app", "app")
out["imported"] = [before, "late_app" in sys.modules]
out["pid"] = os.getpid()
print(json.dumps(out))
`;

describe("the pid wrapper (images/apps/_repro_matrix.py)", () => {
  it("keeps each kind of ASGI app's interface, names the worker in HTTP answers only, and imports the app when the entry is imported", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "rm-wrapper-"));
    const r = await execa("python3", ["-c", CHECK, APPS_DIR, scratch]);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("importing late_app");
    const out = JSON.parse(lines.at(-1) as string);
    const pidHeader = [PID_HEADER, String(out.pid)];
    for (const [name, asgi3] of Object.entries({
      asgi3: true,
      Asgi2: false,
      framework: true,
      AwaitableClass: true,
      asgi2_function: false,
      "nested.app": true,
    })) {
      expect(out[name], name).toEqual({
        interface_kept: true,
        asgi3,
        http: {
          type: "http.response.start",
          status: 200,
          headers: name === "Asgi2" || name === "asgi2_function" ? [pidHeader] : [["a", "1"], pidHeader],
        },
      });
    }
    expect(out.lifespan).toEqual([{ type: "lifespan.startup.complete" }]);
    expect(out.state).toBe("kept");
    expect(out.imported).toEqual([false, true]);
  });
});

describe("the probe", () => {
  const serve = async (handler: (res: import("node:http").ServerResponse) => void) => {
    const server = createServer((_req, res) => handler(res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
  };

  it("takes the worker from the wrapper's header whatever the body, else from a fixture's JSON", async () => {
    const agent = new Agent();
    const cases: [(res: import("node:http").ServerResponse) => void, number | undefined][] = [
      [(res) => res.setHeader(PID_HEADER, "4242").end("hello, world"), 4242],
      [(res) => res.setHeader(PID_HEADER, "4242").end(JSON.stringify({ pid: 7 })), 4242],
      [(res) => res.end(JSON.stringify({ pid: 7 })), 7],
      [(res) => res.end("plain text, no header"), undefined],
      [(res) => res.setHeader(PID_HEADER, "not a pid").end("x"), undefined],
    ];
    try {
      for (const [handler, pid] of cases) {
        const { server, url } = await serve(handler);
        try {
          expect((await probeOnce(agent, url, 5000)).pid).toBe(pid);
        } finally {
          server.close();
        }
      }
    } finally {
      await agent.destroy();
    }
  });
});
