"""reach-out: an app that checks the sandbox it runs in, and fails (500) where it could escape.

It looks, without sending a packet: which network interfaces it has, whether any route leads
off the machine (a UDP connect() only asks the kernel for a route), which user it runs as, and
whether the harness's own environment leaked in (the isolation test sets REPRO_MATRIX_SENTINEL).
"""
import os
import socket
import sys

from _asgi import asgi_app, respond


def findings():
    problems = []
    interfaces = sorted(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else []
    if [i for i in interfaces if i != "lo"]:
        problems.append("interfaces " + ",".join(interfaces))
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: documentation only; UDP connect sends nothing
        problems.append("a route off the machine")
    except OSError:
        pass
    finally:
        probe.close()
    if os.getuid() == 0:
        problems.append("runs as root")
    if "REPRO_MATRIX_SENTINEL" in os.environ:
        problems.append("sees the harness's environment")
    return problems


PROBLEMS = findings()
print("isolation: uid=%d env=%s problems=%s" % (os.getuid(), ",".join(sorted(os.environ)), PROBLEMS or "none"), file=sys.stderr, flush=True)


async def handle_request(send):
    await respond(send, "reach-out", status=500 if PROBLEMS else 200)


app = asgi_app(handle_request)
