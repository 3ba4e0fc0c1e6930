"""The command line: parse arguments, call the library, print. Nothing else.

One module per command group: ``making`` (init, new, list, status, check, build), ``previewing``
(preview), ``email`` (send-test, email push), ``youtube``, ``blog``, ``scheduling`` (schedule); ``base``
holds the group itself and what the commands share. Only click is imported here; each command imports
what it uses, so --help, --version and list stay as quick as Python starting up (benchmarks/run.py).
"""

from monthlypost.cli import blog, email, making, previewing, scheduling, youtube  # noqa: F401 - each registers its commands
from monthlypost.cli.base import cli

__all__ = ["cli"]
