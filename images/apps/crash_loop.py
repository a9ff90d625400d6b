"""crash-loop: every worker dies as soon as it loads the app, silently (no traceback); Gunicorn keeps replacing them."""
import os

os._exit(1)
