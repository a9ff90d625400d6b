"""unreached-after-traceback: one-never-accepts, whose unreached worker also logs a traceback as it starts.

The worker survives the traceback and the others serve as `plain` does, but the traceback alone
fails the cell: waiting past coverageSeconds for the worker nobody reaches could not make it
clean, so the probes stop at coverageSeconds instead of three times it (issue #19: 43 `--preload`
cells of the full sweep, a KeyError in every worker but the one that served, sat out 3× it).
"""
import sys
import traceback

from _asgi import respond, run_lifespan
from one_never_accepts import _chosen, swap_listening_sockets


def _fail_then_stop_accepting():
    if not _chosen():
        return
    try:
        raise RuntimeError("unreached-after-traceback: a startup error this worker lives on after")
    except RuntimeError:
        traceback.print_exc(file=sys.stderr)
    swap_listening_sockets()


class App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] == "lifespan":
            return await run_lifespan(receive, send, on_startup=_fail_then_stop_accepting)
        await respond(send, "unreached-after-traceback")


app = App
