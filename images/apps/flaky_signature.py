"""flaky-signature: logs the signature in every second trial of its cell, like a race that loses sometimes.

The harness numbers the trials of a cell (REPRO_MATRIX_TRIAL); a real race is not this regular,
but the test needs to know which trials fail.
"""
import os
import sys

from _asgi import asgi_app, respond

if int(os.environ.get("REPRO_MATRIX_TRIAL", "1")) % 2 == 0:
    print("RuntimeError: Event loop is closed", file=sys.stderr, flush=True)


async def handle_request(send):
    await respond(send, "flaky-signature")


app = asgi_app(handle_request)
