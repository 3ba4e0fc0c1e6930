"""Compiled templates kept between runs in .monthlypost/cache/, so a new process need not compile them again.

A cache file holds Python code that the next run executes, so it is signed:
each file carries an HMAC made with a key that only this user can read (in
the user's config folder, next to the YouTube login, mode 0600). A cache file
that came with a workspace, or was edited, fails the check and is ignored:
a hostile workspace cannot get its code run this way. Jinja's own
FileSystemBytecodeCache is not used because it unpickles what it reads.

The folder is named after monthlypost's version and Python's bytecode tag,
so an upgrade of either starts afresh, and says the code was compiled for
Jinja's sandbox (code compiled outside it calls without the sandbox's
checks, so an older cache is never used); a template's own change is seen by
its checksum. A cache that cannot be read or written is simply not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import marshal
import shutil
import sys
from pathlib import Path

import jinja2

from monthlypost import __version__
from monthlypost.errors import MonthlypostError
from monthlypost.paths import kind, read_bytes, state_folder, write_atomically
from monthlypost.render import COMPILED, flavour

KEY_BYTES = 32


def key_path() -> Path:
    import click

    return Path(click.get_app_dir("monthlypost")) / "template-cache.key"


def signing_key(make: bool = True) -> bytes | None:
    """This user's key for signing cache files, made on first use (unless not ``make``); None if it cannot be
    had."""
    path = key_path()
    try:
        if kind(path) == "missing":
            if not make:
                return None
            import secrets  # once per user, ever

            write_atomically(path, secrets.token_bytes(KEY_BYTES), private=True)
        key = read_bytes(path)
    except MonthlypostError:
        return None
    return key if len(key) == KEY_BYTES else None


class TemplateCache(jinja2.BytecodeCache):
    def __init__(self, folder: Path, key: bytes, read_only: bool = False):
        self.folder = folder
        self.key = key
        self.read_only = read_only  # templates compiled before are used; nothing is written (check)

    @classmethod
    def under(cls, state: Path, read_only: bool = False) -> TemplateCache | None:
        """The cache for this version in ``state``/cache/, older versions' removed; None without a key.
        ``read_only``: the cache as it is, if there is one, nothing made or removed (for check, which writes
        nothing).

        A symlink in the way is an error (the build then does without a cache): written through it, the
        cache would land wherever the workspace's link leads.
        """
        key = signing_key(make=not read_only)
        if key is None:
            return None
        name = f"templates-{COMPILED}+trusted-{__version__}-{sys.implementation.cache_tag}"
        folder = state_folder(state, "cache", name)
        if read_only:
            return cls(folder, key, read_only=True) if kind(folder) == "folder" else None
        if kind(folder) == "missing" and kind(folder.parent) == "folder":
            for old in folder.parent.glob("templates-*"):
                with contextlib.suppress(OSError):
                    shutil.rmtree(old)
        return cls(folder, key)

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"{flavour(bucket.environment)}-{bucket.key}.code"

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self.key, body, hashlib.sha256).digest()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            data = read_bytes(self._path(bucket))
        except MonthlypostError:  # none yet, or not a file that can be read: compiled afresh
            return
        signature, body = data[:32], data[32:]
        checksum, _, code = body.partition(b"\n")
        if not hmac.compare_digest(signature, self._sign(body)) or checksum != bucket.checksum.encode():
            return
        with contextlib.suppress(EOFError, ValueError, TypeError):
            bucket.code = marshal.loads(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.read_only:
            return
        body = bucket.checksum.encode() + b"\n" + marshal.dumps(bucket.code)
        with contextlib.suppress(MonthlypostError, OSError):
            write_atomically(self._path(bucket), self._sign(body) + body)

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            shutil.rmtree(self.folder)
