"""Test fixture: logs the #85 signature on every request, whatever the versions.

Lets the integration tests check the 'reproduced' path without depending on uvicorn's
real history. The answer is a bare 500 naming no worker pid, and nothing else is logged, so
only the signature itself can tell the probes that the outcome is decided.
"""
import sys

from _asgi import asgi_app


async def handle_request(send):
    # One write, so the line reaches the pipe whole: print() writes the text and the newline
    # separately, and another worker's log line can land in between.
    sys.stderr.write("RuntimeError: Event loop is closed\n")
    await send({"type": "http.response.start", "status": 500, "headers": []})
    await send({"type": "http.response.body", "body": b""})


app = asgi_app(handle_request)
