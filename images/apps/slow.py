"""slow: answers every request after 0.3 s, so probing takes long enough to be interrupted."""
import asyncio

from _asgi import respond, run_lifespan


class App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] == "lifespan":
            return await run_lifespan(receive, send)
        await asyncio.sleep(0.3)
        await respond(send, "slow")


app = App
