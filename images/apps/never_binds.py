"""never-binds: its import never returns; under --preload the master imports it before binding, so nothing ever listens."""
import time

time.sleep(3600)
