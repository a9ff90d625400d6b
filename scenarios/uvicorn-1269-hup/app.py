"""An ASGI 3 app whose /slow answers after 3 s: requests to it are in flight when the HUP comes."""
import asyncio
import os


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                # The app's own word that its shutdown ran (the fixed releases run it for the old workers too).
                print(f"app shutdown ran in pid {os.getpid()}", flush=True)
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] == "/slow":
        await asyncio.sleep(3)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": f"pid={os.getpid()}".encode()})
