"""Everything a build reads, each file read once, so what is rendered is exactly what is hashed.

A month's files are read through :class:`MonthFiles`, templates through
:class:`Templates`; both keep the bytes they read for the rest of the run. A
file saved while a build runs therefore leaves the month stale (its new bytes
were not rendered, and are not what the manifest records), never marked
current with old outputs.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

from monthlypost.paths import PathError, decode_text, inside, kind, read_bytes

TOPIC_NAME = "topic.toml"
SCRIPT_NAME = "script.md"
THUMBNAILS = ("thumbnail.jpg", "thumbnail.jpeg", "thumbnail.png")  # a month's own image, looked for in this order
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


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


# --- A month at a glance: what telling it is up to date, and its neighbours' links, need ------------------


def slugify(text: str) -> str:
    """'Why Your Hip Pain Keeps Coming Back' → 'why-your-hip-pain-keeps-coming-back'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"['’]", "", ascii_text)).strip("-") or "post"


def found_thumbnail(folder: Path) -> str | None:
    """The first of thumbnail.jpg, .jpeg and .png that a month's folder has."""
    return next((name for name in THUMBNAILS if kind(folder / name) != "missing"), None)


def peek_topic(folder: Path) -> tuple[str, str] | None:
    """The month's title and slug, without checking anything else; None if they do not read."""
    import tomli

    from monthlypost.tables import text_rule

    try:
        data = tomli.loads(decode_text(read_bytes(folder / TOPIC_NAME), folder / TOPIC_NAME))
    except (PathError, tomli.TOMLDecodeError, RecursionError):
        return None
    title, slug = data.get("title"), data.get("slug")
    if not isinstance(title, str) or not title.strip() or list(text_rule(title)):
        return None
    return title, slug if isinstance(slug, str) and SLUG.fullmatch(slug) else slugify(title)
