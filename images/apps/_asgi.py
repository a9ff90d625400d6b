"""Helpers shared by the fixture apps, so each fixture shows only the behaviour it tests.

All fixtures are class-based ASGI 2 apps (``App(scope)`` then ``await app(receive, send)``):
the one interface that uvicorn 0.2 and the newest release both serve. ``asgi_app`` builds one
from the fixture's request handler.
"""
import json
import os


async def run_lifespan(receive, send, on_startup=None):
    """Answer the lifespan protocol, so new uvicorn versions don't report it unsupported."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if on_startup is not None:
                on_startup()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def memory_kb():
    """This worker's resident and proportional set size (KiB), for the boot profile.

    PSS divides pages shared with the master after fork among the processes sharing them, so it
    shows what --preload saves; RSS counts them in full in every worker. Empty where /proc lacks it.
    """
    try:
        with open("/proc/self/smaps_rollup") as f:
            fields = dict(line.split(":", 1) for line in f if line[:4] in ("Rss:", "Pss:"))
        return {"rss_kb": int(fields["Rss"].split()[0]), "pss_kb": int(fields["Pss"].split()[0])}
    except (OSError, KeyError, ValueError):
        return {}


async def respond(send, app_name, pid=None, status=200):
    """Send a JSON body naming the worker pid that served the request (the probe counts them)."""
    answer = {"pid": os.getpid() if pid is None else pid, "app": app_name}
    answer.update(memory_kb())
    body = json.dumps(answer).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [[b"content-type", b"application/json"]]})
    await send({"type": "http.response.body", "body": body})


def asgi_app(handle_request, on_startup=None):
    """A class-based ASGI 2 app: lifespan is answered (calling on_startup), and every HTTP
    request goes to ``await handle_request(send)``."""

    class App:
        def __init__(self, scope):
            self.scope = scope

        async def __call__(self, receive, send):
            if self.scope["type"] == "lifespan":
                return await run_lifespan(receive, send, on_startup=on_startup)
            await handle_request(send)

    return App
