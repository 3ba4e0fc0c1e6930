"""The one exception family, and the problems that checks collect.

Every message starts with the file it is about, so the CLI can print it as
``Error: FILE: what is wrong`` in one place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, NamedTuple, Self

Severity = Literal["error", "warning"]


# Control characters, and the overrides that reorder the text after them: each printed as its escape.
_ESCAPED = {code: repr(chr(code))[1:-1] for code in (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F))}
_ESCAPED |= {code: repr(chr(code))[1:-1] for code in range(0x2066, 0x206A)}


def printable(text: str) -> str:
    """``text`` safe to print on one line: a line break, a terminal's escape character or a direction
    override shown as its escape (``\\n``, ``\\x1b``, ``\\u202e``). A file name, a server's reply or a
    file's text can then neither forge a line of output nor steer the terminal."""
    return text.translate(_ESCAPED)


def quoted(text: str, most: int = 80) -> str:
    """A value as a message quotes it: in quotes, and cut short after ``most`` characters, so that a message
    about a value of any length is one readable line."""
    return f"'{text}'" if len(text) <= most else f"'{text[: most - 1]}…' ({len(text):,} characters)"


def display_path(path: Path | str) -> str:
    """A path as the user would type it: relative to the current directory when under it, and printable.

    Compared as written first, so a symlink is shown where it is rather than where it leads.
    """
    path = Path(path)
    try:
        here = Path.cwd()
        if Path(os.path.abspath(path)).is_relative_to(os.path.abspath(here)):
            return printable(str(Path(os.path.abspath(path)).relative_to(os.path.abspath(here))))
        return printable(str(path.resolve().relative_to(here.resolve())))
    except (ValueError, OSError, RuntimeError):  # elsewhere, or a symlink loop
        return printable(os.fspath(path))


class Problem(NamedTuple):
    """One thing wrong (or worth a look) in one file."""

    path: Path | None  # None for the few problems that are about no file
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        message = printable(self.message)  # it may quote a file's text or a server's reply
        return f"{display_path(self.path)}: {message}" if self.path else message


class MonthlypostError(Exception):
    """An error the user can act on. Carries one or more problems."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, path: Path | str | None, message: str) -> Self:
        return cls(Problem(Path(path) if path is not None else None, message))


class ValidationError(MonthlypostError):
    """A settings or topic file is malformed; every problem is listed."""


class YouTubeError(MonthlypostError):
    """The YouTube Data API refused or failed; the message says what to do."""


class StopAll(YouTubeError):
    """A YouTube error no other month would escape either: the quota is spent, or the login is refused."""


class SendError(MonthlypostError):
    """A test send could not be delivered."""


class Problems(list[Problem]):
    """Problems collected while checking, so every one is reported at once."""

    def error(self, path: Path, message: str) -> None:
        self.append(Problem(path, message, "error"))

    def warn(self, path: Path, message: str) -> None:
        self.append(Problem(path, message, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self if p.severity == "warning"]

    def errors_since(self, start: int) -> bool:
        """Whether any error was added after the first ``start`` problems."""
        return any(p.severity == "error" for p in self[start:])

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
