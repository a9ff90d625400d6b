"""Test fixture: a bug that came and went, "introduced in uvicorn 0.30.0, fixed in 0.32.0".

Logs the #85 signature on every request while the installed uvicorn is at least 0.30.0 and older
than 0.32.0, and answers like plain otherwise: clean, affected, clean again. A bisect whose two
ends are both clean has to look between them to find either transition.
"""
import sys

import uvicorn
from _asgi import asgi_app, respond

INTRODUCED_IN = (0, 30, 0)
FIXED_IN = (0, 32, 0)
VERSION = tuple(int(p) for p in uvicorn.__version__.split(".")[:3])
AFFECTED = INTRODUCED_IN <= VERSION < FIXED_IN


async def handle_request(send):
    if AFFECTED:
        sys.stderr.write("RuntimeError: Event loop is closed\n")
    await respond(send, "signature-0-30-to-0-32")


app = asgi_app(handle_request)
