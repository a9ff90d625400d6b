"""outlives-server: starts a process that holds the server's output and outlives it.

The helper ignores SIGTERM and keeps writing to the server's stderr. In a container of its own
the container ends when gunicorn exits, and the helper with it; the harness must end it as
promptly when cells share a container, not wait out the grace for the output to close.
"""
import os
import subprocess
import sys

from _asgi import asgi_app, respond

HELPER = """
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    time.sleep(0.5)
"""


def start_helper():
    try:
        # One per server: the first of its processes to import claims it.
        os.close(os.open("/tmp/outlives-server-helper", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    # Inherits stdout and stderr: the server's output stays open while it lives.
    subprocess.Popen([sys.executable, "-c", HELPER], stdin=subprocess.DEVNULL, start_new_session=True)


start_helper()


async def handle_request(send):
    await respond(send, "outlives-server")


app = asgi_app(handle_request)
