"""stalls: every worker reports an error while it loads the app, then stays alive without serving.

Like uvicorn 0.3.26 to 0.3.28, whose UvicornWorker raised a NameError in create_servers and then
lived on with no server: one traceback per worker, then silence, and nothing answers.
"""
import sys
import time
import traceback

try:
    raise RuntimeError("fixture stalls: the server cannot start")
except RuntimeError:
    traceback.print_exc()
    sys.stderr.flush()

time.sleep(3600)
