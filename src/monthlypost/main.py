"""The monthlypost command as a program: what it does at its start and end that a library must not.

First, nothing is imported from the folder it runs in. ``python -m`` puts
that folder first on ``sys.path``, and a workspace is where the command is run:
a ``secrets.py`` or ``email.py`` of the user's own there would be imported in
place of Python's (or a ``click.py`` in place of click's), and run. That entry
goes before anything but Python's own start-up modules is imported, as
``python -P`` would do. Python has imported a few modules by then (runpy's),
so in a folder you do not trust run ``monthlypost`` or ``python -P -m
monthlypost`` (README, Safety).

Two things make a run quicker without changing what it does (benchmarks/run.py measures them):

- The garbage collector looks for cycles every 50,000 new objects rather than
  every 700. A run begins by loading hundreds of thousands of objects that
  live to its end (modules, classes, functions), and every collection walked
  them again: a twentieth of a one-month build. Cycles are still collected.
- A brief command (build, check, list, new, init, --help, --version) ends the
  process as soon as it is done, rather than have Python free every object one
  by one first, which takes a tenth of a one-month build. What it printed is
  flushed first, and each file monthlypost writes is closed as soon as it is
  written (the outputs are renamed into place only then), so nothing is lost.
  Commands that hold connections, threads or a server (preview, the pushes,
  login, send-test) end as usual.
"""

from __future__ import annotations

import gc
import os
import sys

BRIEF = frozenset({None, "build", "check", "list", "new", "init"})  # None: --help, --version, a usage error
COLLECT_EVERY = 50_000


def run() -> None:
    _off_the_path()
    gc.set_threshold(COLLECT_EVERY)
    from monthlypost.cli import cli

    status = 0
    try:
        cli(prog_name="monthlypost")  # click's standalone mode: it always ends in SystemExit
    except SystemExit as done:
        if cli.command_run not in BRIEF or not isinstance(done.code, int | None):
            raise
        status = done.code or 0
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (| head), or a stream already closed
            status = status or 1
    os._exit(status)


def _off_the_path() -> None:
    """The current folder taken off the front of sys.path, where ``python -m`` puts it (see above)."""
    try:
        here = os.getcwd()
    except OSError:  # the folder it runs in was deleted
        here = ""
    if not sys.flags.safe_path and sys.path and sys.path[0] in ("", here):
        del sys.path[0]
