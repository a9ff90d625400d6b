"""one-never-accepts: one worker boots, stays up and stops gracefully, but is never handed a connection.

The first worker of a server to start its lifespan swaps each listening socket it inherited from
Gunicorn for a fresh one of the same family, bound to an address nobody knows (an abstract unix
name or a loopback port), so the kernel hands this worker none of the probes'
connections, as a busy machine's scheduler may for a whole coverage window (issue #20). The
other workers serve as `plain` does. Which worker is chosen is decided by a file created
exclusively in /tmp, named after the master's pid, so it is one per server.
"""
import os
import socket
import tempfile

from _asgi import respond, run_lifespan


def _chosen():
    path = os.path.join(tempfile.gettempdir(), ".one-never-accepts-%d" % os.getppid())
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def _listening_fds():
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            s = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                yield fd, s.family, s.type
        finally:
            s.close()


def _stop_accepting():
    if _chosen():
        swap_listening_sockets()


def swap_listening_sockets():
    """From now on the kernel hands this worker no connection (unreached_after_traceback.py uses it too)."""
    for fd, family, kind in list(_listening_fds()):
        fresh = socket.socket(family, kind)
        # listen() needs an address: an abstract unix one or a loopback port, that nobody is told.
        if family == socket.AF_UNIX:
            fresh.bind("\0one-never-accepts-%d-%d" % (os.getpid(), fd))
        else:
            fresh.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        os.dup2(fresh.fileno(), fd)
        fresh.close()


class App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] == "lifespan":
            return await run_lifespan(receive, send, on_startup=_stop_accepting)
        await respond(send, "one-never-accepts")


app = App
