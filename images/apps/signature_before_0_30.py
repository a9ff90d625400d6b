"""Test fixture: a bug with a known fix, "fixed in uvicorn 0.30.0", for testing bisection.

Logs the #85 signature on every request while the installed uvicorn is older than 0.30.0, and
answers like plain from then on, so a bisect over real releases has a known right answer.
"""
import sys

import uvicorn
from _asgi import asgi_app, respond

FIXED_IN = (0, 30, 0)
AFFECTED = tuple(int(p) for p in uvicorn.__version__.split(".")[:3]) < FIXED_IN


async def handle_request(send):
    if AFFECTED:
        sys.stderr.write("RuntimeError: Event loop is closed\n")
    await respond(send, "signature-before-0-30")


app = asgi_app(handle_request)
