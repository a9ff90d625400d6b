"""Test fixture: a regression that a new release of a dependency brings, for the nightly test.

Imports rmnightly, a package the test writes into a find-links folder (no index has it), and logs
the #85 signature on every request once rmnightly is 1.1 or later; with 1.0 it answers like
plain. A night that finds rmnightly 1.1 must see the table gain a row and the verdict change.
"""
import sys

import rmnightly
from _asgi import asgi_app, respond

AFFECTED = tuple(int(p) for p in rmnightly.VERSION.split(".")[:2]) >= (1, 1)


async def handle_request(send):
    if AFFECTED:
        # One write, so the line reaches the pipe whole (see prints_signature.py).
        sys.stderr.write("RuntimeError: Event loop is closed\n")
    await respond(send, "regresses-with-rmnightly")


app = asgi_app(handle_request)
