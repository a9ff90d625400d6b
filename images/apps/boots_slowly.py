"""boots-slowly: every worker takes 6 s to import the app, so the first answer comes 6 s or more after the start."""
import time

from _asgi import asgi_app, respond

time.sleep(6)


async def handle_request(send):
    await respond(send, "boots-slowly")


app = asgi_app(handle_request)
