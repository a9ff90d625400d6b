"""repro-matrix's wrapper around the app under test: every HTTP answer names the worker that gave it.

Gunicorn loads a generated entry module (``repro_matrix__<module>.py``) whose import calls
``wrap(module, object)``: it imports the app's module right then, so with ``--preload`` the
master imports it and without it each worker does, exactly as Gunicorn would have on its own.
The wrapper adds one response header, ``x-repro-matrix-pid: <pid>``, so that the harness counts
the workers that served whatever the app answers (plain text, an error page, a framework's JSON).

It keeps the app's interface as uvicorn decides it (``interface="auto"``: ASGI 3 when the app
is a coroutine function, an awaitable class or an object whose ``__call__`` is a coroutine
function; ASGI 2, ``App(scope)`` then ``await instance(receive, send)``, otherwise, which is
all uvicorn 0.2 to 0.6 serve), and hands every scope but "http" (lifespan, websocket) to the
app untouched. Written for every Python uvicorn ever ran on (3.5 and later).
"""
import asyncio
import importlib
import inspect
import os
import sys

HEADER = b"x-repro-matrix-pid"


def _is_coroutine_function(f):
    if inspect.iscoroutinefunction(f):
        return True
    # What uvicorn asked before inspect's answer covered everything; deprecated from 3.14.
    return sys.version_info < (3, 14) and asyncio.iscoroutinefunction(f)


def is_asgi3(app):
    """uvicorn's own test (config.py, interface "auto"), so uvicorn serves the wrapper as it would the app."""
    if inspect.isclass(app):
        return hasattr(app, "__await__")
    if inspect.isfunction(app):
        return _is_coroutine_function(app)
    return _is_coroutine_function(getattr(app, "__call__", None))


def _send_with_pid(send):
    async def send_with_pid(message):
        if message.get("type") == "http.response.start":
            message = dict(message)
            headers = list(message.get("headers") or [])
            headers.append((HEADER, str(os.getpid()).encode("ascii")))
            message["headers"] = headers
        await send(message)

    return send_with_pid


class Asgi3:
    """An ASGI 3 app, wrapped: an object whose __call__ is a coroutine function, as uvicorn sees it."""

    def __init__(self, app):
        self._repro_matrix_app = app

    async def __call__(self, scope, receive, send):
        if scope.get("type") == "http":
            send = _send_with_pid(send)
        await self._repro_matrix_app(scope, receive, send)

    def __getattr__(self, name):
        # A Gunicorn hook that reads worker.wsgi.state (say) still finds the app's own attributes.
        return getattr(self._repro_matrix_app, name)


def _asgi2(app):
    """An ASGI 2 app, wrapped: a class, so uvicorn makes an instance per scope, as it would of the app."""

    class Asgi2:
        def __init__(self, scope):
            self.scope = scope
            # Now, as uvicorn would call the app itself: an app that refuses a scope raises here.
            self.instance = app(scope)

        async def __call__(self, receive, send):
            if self.scope.get("type") == "http":
                send = _send_with_pid(send)
            await self.instance(receive, send)

    return Asgi2


def wrap(module, obj):
    """Import `module` (now) and return its `obj` (a dotted attribute path), wrapped."""
    app = importlib.import_module(module)
    for part in obj.split("."):
        app = getattr(app, part)
    return Asgi3(app) if is_asgi3(app) else _asgi2(app)
