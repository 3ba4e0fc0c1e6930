"""``python -m monthlypost``: the monthlypost command.

``python -m`` puts the current folder first on ``sys.path``, and a workspace is
where the command is run: a ``secrets.py`` or ``email.py`` of the user's own
there would be imported in place of Python's (or a ``click.py`` in place of
click's), and run. That entry goes before anything else is imported, as
``python -P`` would do. Python has already imported a few modules of its own
by then, so in a folder you do not trust run ``monthlypost`` or
``python -P -m monthlypost`` (README, Safety).
"""

import os
import sys

try:
    here = os.getcwd()
except OSError:  # the folder it runs in was deleted
    here = ""
if not sys.flags.safe_path and sys.path and sys.path[0] in ("", here):
    del sys.path[0]

from monthlypost.main import run  # noqa: E402 - only once the current folder is off the path

run()
