"""Test fixture: logs the #85 signature on every request, whatever the versions.

Lets the integration tests check the 'reproduced' path without depending on uvicorn's
real history.
"""
import sys

from _asgi import asgi_app, respond


async def handle_request(send):
    # One write, so the line reaches the pipe whole: print() writes the text and the newline
    # separately, and another worker's log line can land in between.
    sys.stderr.write("RuntimeError: Event loop is closed\n")
    await respond(send, "prints-signature", status=500)


app = asgi_app(handle_request)
