"""heavy-import: an app whose import costs what a real one's does (a framework, a model, a big table).

About 0.3 s of CPU and some 30 MB of objects at import time. Without --preload every worker pays
that after the fork; with it the master pays once and the workers share the pages: the boot
profile measures whether that makes booting many workers faster, as the #85 thread says.
"""
import time

from _asgi import asgi_app, respond

_deadline = time.process_time() + 0.3
while time.process_time() < _deadline:
    pass
TABLE = {i: str(i) * 4 for i in range(300_000)}


async def handle_request(send):
    await respond(send, "heavy-import")


app = asgi_app(handle_request)
