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
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from monthlypost.paths import PathError, decode_text, inside, kind, read_bytes

TOPIC_NAME = "topic.toml"
SCRIPT_NAME = "script.md"
THUMBNAILS = ("thumbnail.jpg", "thumbnail.jpeg", "thumbnail.png")  # a month's own image, looked for in this order


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

    @cached_property
    def thumbnail(self) -> str | None:
        """The first of thumbnail.jpg, .jpeg and .png that the folder has (looked for once)."""
        return found_thumbnail(self.folder)


class Template(NamedTuple):
    name: str  # as asked for: 'post.html', 'default/post.html', 'parts/footer.html'
    path: Path
    text: str
    sha256: str  # of where it came from and its bytes, so a new override makes months stale


class Templates:
    """The workspace's templates/ first, then the defaults; ``default/NAME`` is always the default.
    ``workspace`` None: the defaults alone."""

    def __init__(self, workspace: Path | None, defaults: Path):
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
            places = [("default", self.defaults, parts)]
            if self.workspace is not None:
                places.insert(0, ("templates", self.workspace, parts))
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


# Scripts whose languages have one usual romanisation, written in Latin letters in a slug (as a reader types
# the address); every other script's letters are kept as they are, as WordPress keeps them.
ROMANISED = ("LATIN", "CYRILLIC", "GREEK", "HANGUL", "ARMENIAN", "GEORGIAN")
_SEPARATORS = re.compile(r"-+")
_ASCII_GAPS = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """A title's slug: lower-case letters and digits in words joined by hyphens.

    'Why Your Hip Pain Keeps Coming Back' → 'why-your-hip-pain-keeps-coming-back'; 'Größe' → 'grosse',
    'Почему болит бедро' → 'pochemu-bolit-bedro', 'لماذا يعود ألم الورك' → 'لماذا-يعود-ألم-الورك'.
    """
    if text.isascii():  # most titles: at the speed of one expression
        return _ASCII_GAPS.sub("-", text.replace("'", "").lower()).strip("-") or "post"
    text = "".join(map(_romanised, unicodedata.normalize("NFC", text)))
    text = re.sub(r"['’ʼ]", "", text)  # "don't" is one word, as is Armenian romanised with its apostrophes
    words = (c if _in_word(c) else "-" for c in text.lower())
    return _SEPARATORS.sub("-", "".join(words)).strip("-") or "post"


def _romanised(c: str) -> str:
    if c.isascii() or not unicodedata.name(c, "").startswith(ROMANISED):
        return c
    from anyascii import anyascii  # only a title in one of those scripts pays for its tables

    return anyascii(c)


def _in_word(c: str) -> bool:
    return c.isascii() and c.isalnum() or not c.isascii() and unicodedata.category(c)[0] in "LMN"


def is_slug(value: str) -> bool:
    """A slug as :func:`slugify` makes them: words of lower-case letters and digits (of any script), hyphens
    between them."""
    return (
        bool(value)
        and value == unicodedata.normalize("NFC", value)
        and all(part and all(_in_word(c) and c == c.lower() for c in part) for part in value.split("-"))
    )


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
    return title, slug if isinstance(slug, str) and is_slug(slug) else slugify(title)
