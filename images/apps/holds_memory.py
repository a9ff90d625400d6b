"""holds-memory: each worker keeps 120 MiB it has written to, far above a plain worker's memory.

For the memory check, which reads each worker's resident memory from /proc, whatever the app.
"""
from _asgi import asgi_app, respond

# Written, not merely allocated: pages never touched would not be resident.
BALLAST = b"x" * (120 * 1024 * 1024)


async def handle_request(send):
    await respond(send, "holds-memory")


app = asgi_app(handle_request)
