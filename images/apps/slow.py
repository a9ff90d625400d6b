"""slow: answers every request after 0.3 s, so probing takes long enough to be interrupted."""
import asyncio

from _asgi import asgi_app, respond


async def handle_request(send):
    await asyncio.sleep(0.3)
    await respond(send, "slow")


app = asgi_app(handle_request)
