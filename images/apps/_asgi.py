"""Helpers shared by the fixture apps, so each fixture shows only the behaviour it tests.

All fixtures are class-based ASGI 2 apps (``App(scope)`` then ``await app(receive, send)``):
the one interface that uvicorn 0.2 and the newest release both serve.
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


async def respond(send, app_name, pid=None, status=200):
    """Send a JSON body naming the worker pid that served the request (the probe counts them)."""
    body = json.dumps({"pid": os.getpid() if pid is None else pid, "app": app_name}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [[b"content-type", b"application/json"]]})
    await send({"type": "http.response.body", "body": body})
