"""import-time-loop: the pattern from uvicorn issue #85's thread.

The module grabs the event loop when it is imported, as many 2018 apps did, and uses
that loop while handling requests. Under ``gunicorn --preload`` the import happens in
the master, before the fork, so a worker may hold a loop that is not the one serving
it (closed, or merely different): the behaviour the harness measures.
"""
import asyncio
import os

from _asgi import asgi_app, respond

loop = asyncio.get_event_loop()


async def handle_request(send):
    # Raises if the import-time loop is closed, or is not the loop serving this request.
    pid = await loop.run_in_executor(None, os.getpid)
    await respond(send, "import-time-loop", pid=pid)


app = asgi_app(handle_request)
