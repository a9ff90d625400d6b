"""answers-slowly: /slow answers after 3 s, any other path at once (readiness and probes stay quick).

Requests to /slow are still in flight when a step's signal comes, so a test can see what a
graceful shutdown or reload does to them.
"""
import asyncio

from _asgi import respond, run_lifespan


class App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] == "lifespan":
            return await run_lifespan(receive, send)
        if self.scope["path"] == "/slow":
            await asyncio.sleep(3)
        await respond(send, "answers-slowly")


app = App
