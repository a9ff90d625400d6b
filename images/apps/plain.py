"""plain: the smallest app; answers with the pid of the worker that served it."""
from _asgi import asgi_app, respond


async def handle_request(send):
    await respond(send, "plain")


app = asgi_app(handle_request)
