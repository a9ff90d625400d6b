"""hangs-at-shutdown: serves like plain, but its ASGI lifespan shutdown never completes.

Its workers never exit on SIGTERM, so stopping the server takes the whole grace and ends in a kill.
(uvicorn versions older than the lifespan protocol never ask it to shut down, and stop at once.)
"""
import asyncio

from _asgi import respond


class App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] != "lifespan":
            return await respond(send, "hangs-at-shutdown")
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.sleep(3600)


app = App
