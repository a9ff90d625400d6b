"""slow-shutdown: each worker takes 4 s to finish its ASGI lifespan shutdown, so stopping the
server is mostly waiting, as it is for the old uvicorn workers that sit out gunicorn's
graceful timeout. Tests use it to see that another cell boots meanwhile.
"""
import asyncio

from _asgi import respond

SHUTDOWN_SECONDS = 4


class app:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] != "lifespan":
            return await respond(send, "slow-shutdown")
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.sleep(SHUTDOWN_SECONDS)
                await send({"type": "lifespan.shutdown.complete"})
                return
