"""lifespan: loop-bound resources made at ASGI lifespan startup, inside the worker.

The pattern that avoids the import-time loop. uvicorn versions older than the lifespan
protocol never send ``lifespan.startup``; the app then makes the same resources on its
first request, still inside the serving loop, so it runs under every version.
"""
import asyncio
import os

from _asgi import asgi_app, respond

resources = {}


def make_resources():
    resources["loop"] = asyncio.get_event_loop()  # called inside the serving loop
    resources["lock"] = asyncio.Lock()


async def handle_request(send):
    if "loop" not in resources:
        make_resources()
    async with resources["lock"]:
        pid = await resources["loop"].run_in_executor(None, os.getpid)
    await respond(send, "lifespan", pid=pid)


app = asgi_app(handle_request, on_startup=make_resources)
