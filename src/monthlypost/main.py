"""The monthlypost command as a program: what it does at its start and end that a library must not.

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
