"""tries-writes: at import, tries to write outside /tmp and in it, and logs each result.

/var/tmp is world-writable on Debian, so only a read-only root filesystem stops the write there
(EROFS); /tmp must stay writable (gunicorn's --worker-tmp-dir and HOME live there).
"""
import errno
import os
import sys

from _asgi import asgi_app, respond

for folder in ("/var/tmp", "/tmp"):
    path = os.path.join(folder, "tries-writes-%d" % os.getpid())
    try:
        with open(path, "w") as f:
            f.write("x")
        os.unlink(path)
        result = "ok"
    except OSError as e:
        result = errno.errorcode.get(e.errno, str(e.errno))
    print("tries-writes: write %s: %s" % (folder, result), file=sys.stderr, flush=True)


async def handle_request(send):
    await respond(send, "tries-writes")


app = asgi_app(handle_request)
