"""hangs: one worker of the server accepts requests and never answers them; the others answer.

The first worker to load the app claims the role (an exclusive file named after the master's
pid), so exactly one hangs whatever the worker count.
"""
import asyncio
import os

from _asgi import asgi_app, respond

try:
    os.close(os.open("/tmp/hangs-%d" % os.getppid(), os.O_CREAT | os.O_EXCL))
    HANGS = True
except FileExistsError:
    HANGS = False


async def handle_request(send):
    if HANGS:
        await asyncio.sleep(3600)
    await respond(send, "hangs")


app = asgi_app(handle_request)
