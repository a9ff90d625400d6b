"""plain: the smallest app; answers with the pid of the worker that served it."""
from _asgi import respond, run_lifespan


class App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] == "lifespan":
            return await run_lifespan(receive, send)
        await respond(send, "plain")


app = App
