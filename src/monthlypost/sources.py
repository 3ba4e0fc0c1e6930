"""Everything a build reads, each file read once, so what is rendered is exactly what is hashed.

A month's files are read through :class:`MonthFiles`, templates through
:class:`Templates`; both keep the bytes they read for the rest of the run. A
file saved while a build runs therefore leaves the month stale (its new bytes
were not rendered, and are not what the manifest records), never marked
current with old outputs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

from monthlypost.paths import decode_text, inside, kind, read_bytes

TOPIC_NAME = "topic.toml"
SCRIPT_NAME = "script.md"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class MonthFiles:
    """One month's folder; a name is relative to it and must lead (symlinks followed) to a file inside it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._read: dict[str, bytes] = {}

    def read(self, name: str, missing: str | None = None) -> bytes:
        if name not in self._read:
            shown = self.folder / name
            what = kind(shown)
            # symlinks are followed only to inside the folder (a plain file right in it is inside it)
            if what == "link" or (what != "missing" and "/" in name):
                inside(self.folder, name, "the month's folder")
            self._read[name] = read_bytes(shown, missing)
        return self._read[name]

    def text(self, name: str, missing: str | None = None) -> str:
        return decode_text(self.read(name, missing), self.folder / name)

    def digest(self, name: str) -> str:
        return sha256(self.read(name))


class Template(NamedTuple):
    name: str  # as asked for: 'post.html', 'default/post.html', 'parts/footer.html'
    path: Path
    text: str
    sha256: str  # of where it came from and its bytes, so a new override makes months stale


class Templates:
    """The workspace's templates/ first, then the defaults; ``default/NAME`` is always the default."""

    def __init__(self, workspace: Path, defaults: Path):
        self.workspace = workspace
        self.defaults = defaults
        self._found: dict[str, Template | None] = {}
        self.used: set[str] = set()  # names asked for since the last reset, for a month's inputs

    def find(self, name: str) -> Template | None:
        if name not in self._found:
            self._found[name] = self._load(name)
        if self._found[name] is not None:
            self.used.add(name)
        return self._found[name]

    def _load(self, name: str) -> Template | None:
        parts = name.split("/")
        if "\\" in name or any(part in ("", ".", "..") for part in parts):
            return None  # never a name that could climb out of the folders
        if parts[0] == "default":
            places = [("default", self.defaults, parts[1:])]
        else:
            places = [("templates", self.workspace, parts), ("default", self.defaults, parts)]
        for origin, folder, relative in places:
            if not relative or kind(folder) == "missing":
                continue
            path = folder.joinpath(*relative)
            what = kind(path)
            if what == "missing":
                continue
            inside(folder, "/".join(relative), f"{folder.name}/")  # symlinks are followed only to inside it
            data = read_bytes(path)
            return Template(name, path, decode_text(data, path), sha256(f"{origin}\0".encode() + data))
        return None
