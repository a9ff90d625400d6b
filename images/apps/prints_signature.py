"""Test fixture: logs the #85 signature on every request, whatever the versions.

Lets the integration tests check the 'reproduced' path without depending on uvicorn's
real history.
"""
import sys

from _asgi import respond, run_lifespan


class App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] == "lifespan":
            return await run_lifespan(receive, send)
        print("RuntimeError: Event loop is closed", file=sys.stderr, flush=True)
        await respond(send, "prints-signature", status=500)


app = App
