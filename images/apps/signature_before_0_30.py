"""Test fixture: a bug with a known fix, "fixed in uvicorn 0.30.0", for testing bisection.

Logs the #85 signature on every request while the installed uvicorn is older than 0.30.0, and
answers like plain from then on, so a bisect over real releases has a known right answer.
"""
import sys

import uvicorn
from _asgi import respond, run_lifespan

FIXED_IN = (0, 30, 0)
AFFECTED = tuple(int(p) for p in uvicorn.__version__.split(".")[:3]) < FIXED_IN


class App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] == "lifespan":
            return await run_lifespan(receive, send)
        if AFFECTED:
            sys.stderr.write("RuntimeError: Event loop is closed\n")
        await respond(send, "signature-before-0-30")


app = App
