"""hostile_lines: an app whose log is endless 110 KB lines that a backtracking regex engine chokes on.

Each line almost matches the test's signature ("Error.*Event.*:X!"): a backtracking engine tries
every way to split the line between the two .* (cubic in its length: minutes for one line), with
the harness deaf to Ctrl-C meanwhile. The harness matches in linear time, so it keeps up and
answers Ctrl-C while the lines keep coming. The app never serves: it floods as it loads.

Before the flood it leaves a file named "flooding" beside Gunicorn's unix socket (a folder the
host shares), so a test knows when the lines have started without guessing a delay.
"""
import os
import sys

for _arg in sys.argv:
    if _arg.startswith("unix:"):
        try:
            open(os.path.join(os.path.dirname(_arg[len("unix:"):]), "flooding"), "w").close()
        except OSError:
            pass

_line = "ErrorEvent:" * 10_000 + "\n"
while True:
    sys.stderr.write(_line)
