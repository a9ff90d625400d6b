"""hangs: one worker of the server accepts requests and never answers them; the others answer.

The first worker to load the app claims the role (an exclusive file named after the master's
pid), so exactly one hangs whatever the worker count.
"""
import asyncio
import os

from _asgi import respond, run_lifespan

try:
    os.close(os.open("/tmp/hangs-%d" % os.getppid(), os.O_CREAT | os.O_EXCL))
    HANGS = True
except FileExistsError:
    HANGS = False


class App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] == "lifespan":
            return await run_lifespan(receive, send)
        if HANGS:
            await asyncio.sleep(3600)
        await respond(send, "hangs")


app = App
