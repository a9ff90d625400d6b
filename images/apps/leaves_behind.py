"""leaves-behind: a server that leaves a process and a file behind when it stops, and counts another's.

At import it logs what other servers left in its machine (processes and /tmp files tagged with
another master's pid), then leaves its own: a detached process that ignores SIGTERM and a file
in /tmp. A server in a container of its own must always count none; so must a server that runs
after another in a container the harness reuses. It also logs the container's hostname, so a
test can tell which servers shared one.
"""
import os
import socket
import subprocess
import sys

from _asgi import asgi_app, respond

TAG = "repro-leftover-"


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def master_pid():
    # A worker's parent is the gunicorn master; under --preload the master imports this itself.
    return os.getppid() if "gunicorn" in cmdline(os.getppid()) else os.getpid()


def others_leftovers(mine):
    procs = [p for p in os.listdir("/proc") if p.isdigit() and TAG in cmdline(p) and mine not in cmdline(p)]
    files = [f for f in os.listdir("/tmp") if f.startswith(TAG) and f != mine]
    return len(procs), len(files)


def leave_behind(mine):
    try:
        # One per server: the first of its processes to import claims it.
        os.close(os.open(f"/tmp/{mine}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)", mine],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


MINE = f"{TAG}{master_pid()}"
procs, files = others_leftovers(MINE)
print(f"leaves-behind: host={socket.gethostname()} others' leftovers: procs={procs} files={files}", file=sys.stderr, flush=True)
leave_behind(MINE)


async def handle_request(send):
    await respond(send, "leaves-behind")


app = asgi_app(handle_request)
