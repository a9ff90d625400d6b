"""floods: an app that floods the harness: ~200 MB of log lines at import, and 32 MB bodies.

The harness must keep only the head and tail of the log and the start of each body, whatever
an app under test writes.
"""
import sys

from _asgi import asgi_app

_line = "x" * 1000 + "\n"
for _ in range(200_000):
    sys.stderr.write(_line)
sys.stderr.flush()

_chunk = b"y" * (1024 * 1024)


async def handle_request(send):
    await send({"type": "http.response.start", "status": 200, "headers": [[b"content-type", b"text/plain"]]})
    for _ in range(32):
        await send({"type": "http.response.body", "body": _chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


app = asgi_app(handle_request)
