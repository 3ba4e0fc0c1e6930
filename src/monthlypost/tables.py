"""Reading TOML files into typed dataclasses, collecting every problem.

``monthlypost.toml`` and ``topic.toml`` share this: a dataclass declares the
keys, their types and (in ``field(metadata=rule(...))``) a check on the value.
:func:`read_table` reports unknown keys (with the one probably meant), missing
required keys, wrong types and every value check's findings, all in one pass.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import tomli

from monthlypost.errors import Problems, quoted
from monthlypost.paths import PathError, control_at, decode_text, read_bytes

T = TypeVar("T")


# What a TOML table becomes: a dataclass with only __init__ generated, since each generated
# method is compiled at every start of the program (benchmarks/run.py).
table = dataclasses.dataclass(repr=False, eq=False)


class Warn(str):
    """A finding from a value check that is a warning, not an error."""


Rule = Callable[[Any], Iterable[str]]


def rule(check: Rule | None = None, *, lines: str = "one") -> dict[str, Any]:
    """Field metadata: ``check(value)`` yields what is wrong with a well-typed value.

    Every string in a value is also held to :func:`text_rule`: no control
    characters, and one line unless ``lines="many"`` (a title with a line
    break would otherwise break an email header or a Markdown heading).
    """
    return {"rule": check or _no_rule, "lines": lines}


LINE_BREAKS = "\r\n\x85\u2028\u2029"  # a character class of these takes a millisecond to compile


def text_rule(value: str, lines: str = "one") -> Iterable[str]:
    if control_at(value) is not None:
        yield "contains a control character"
    if lines == "one" and any(brk in value for brk in LINE_BREAKS):
        yield "must be one line (it holds a line break)"


# Characters that show as nothing or turn the text around, and that come with a copy and paste far more
# often than on purpose. Not here: the joiners emoji and Persian need, the marks right-to-left text needs.
INVISIBLE = {
    "\u00ad": "a soft hyphen (U+00AD), which shows only where a line breaks",
    "\u200b": "a zero-width space (U+200B), which shows as nothing",
    "\u2060": "a word joiner (U+2060), which shows as nothing",
    "\ufeff": "a zero-width no-break space (U+FEFF), which shows as nothing",
    "\u202d": "a left-to-right override (U+202D), which turns the text after it around",
    "\u202e": "a right-to-left override (U+202E), which turns the text after it around",
}


def invisible_rule(value: str) -> Iterable[str]:
    if not value.isascii():
        at = next((at for at, char in enumerate(value) if char in INVISIBLE), None)
        if at is not None:
            yield Warn(
                f"character {at + 1} is {INVISIBLE[value[at]]}; such characters usually come with a copy and "
                "paste: delete it unless you meant it"
            )


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)


def load_toml(path: Path, problems: Problems, missing_hint: str = "") -> dict[str, Any] | None:
    """Read and parse a TOML file; a missing or unreadable file or a syntax error becomes a problem."""
    try:
        data = read_bytes(path, f"missing{missing_hint}")
    except PathError as err:
        problems.extend(err.problems)
        return None
    return parse_toml(data, path, problems)


def parse_toml(data: bytes, path: Path, problems: Problems) -> dict[str, Any] | None:
    """TOML from bytes (a byte-order mark is fine); a syntax error becomes a problem with its line."""
    try:
        return tomli.loads(decode_text(data, path))
    except PathError as err:
        problems.extend(err.problems)
    except tomli.TOMLDecodeError as err:
        problems.error(path, describe_toml_error(err))
    except RecursionError:  # tomli's own limit (arrays or tables nested 400 deep), or Python's
        problems.error(path, "invalid TOML: arrays or tables nested too deeply for monthlypost to read")
    return None


def describe_toml_error(err: tomli.TOMLDecodeError) -> str:
    """'line 3, column 7: invalid TOML: expected ...' from tomli's message."""
    message = str(err)
    where = re.search(r"\s*\(at (line \d+, column \d+|end of document)\)$", message)
    if where:
        message = message[: where.start()]
        return f"{where.group(1)}: invalid TOML: {message[:1].lower()}{message[1:]}"
    return f"invalid TOML: {message}"


def suggest(word: str, choices: typing.Iterable[str], shown: str = "'{}'") -> str:
    """'; did you mean 'x'?' when one choice is close, else ''."""
    import difflib  # only when a key is unknown

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {shown.format(close[0])}?" if close else ""


def read_table(cls: type[T], table: dict[str, Any], path: Path, problems: Problems, section: str = "") -> T | None:
    """Build ``cls`` from a TOML table, or return None after recording its problems.

    ``section`` ('author', 'email', …) prefixes key names in messages as
    ``[author] name``; it is empty for a file's top level.
    """
    fields, hints = _declared(cls)
    before = len(problems)
    where = f" in [{section}]" if section else ""
    for key in table:
        if key not in fields:
            problems.error(path, f"unknown key '{key}'{where}{suggest(key, fields)}")
    values = {}
    for name, field in fields.items():
        label = f"[{section}] {name}" if section else name
        if name not in table:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                problems.error(path, f"{label}: required")
            continue
        value = table[name]
        expected = hints[name]
        if not matches(value, expected):
            problems.error(path, f"{label}: expected {describe(expected)}, got {describe_value(value)}")
            continue
        lines = field.metadata.get("lines", "one")
        text_findings = dict.fromkeys(finding for text in _strings(value) for finding in text_rule(text, lines))
        if text_findings:  # the value's own rule would only repeat them
            record(text_findings, path, label, problems)
        else:
            record(field.metadata.get("rule", _no_rule)(value), path, label, problems)
            hidden = dict.fromkeys(finding for text in _strings(value) for finding in invisible_rule(text))
            record(hidden, path, label, problems)
        values[name] = value
    if problems.errors_since(before):
        return None
    return cls(**values)


@functools.cache
def _declared(cls: type) -> tuple[dict[str, dataclasses.Field[Any]], dict[str, Any]]:
    """A table's fields and their types, worked out once per run.

    The modules that declare tables do not postpone annotations, so the types
    are objects already: typing.get_type_hints would only compile them again.
    """
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    hints = {name: field.type for name, field in fields.items()}
    assert not any(isinstance(hint, str) for hint in hints.values()), f"{cls.__name__}: annotations must be types"
    return fields, hints


# Rules that many keys share.


def not_empty(value: str) -> Iterable[str]:
    if not value.strip():
        yield "must not be empty"


def one_of(choices: Iterable[str]) -> Rule:
    choices = tuple(choices)

    def check(value: str) -> Iterable[str]:
        if value not in choices:
            yield f"{quoted(value)} is not one of {', '.join(choices)}{suggest(value, choices)}"

    return check


def pattern(regex: re.Pattern[str], what: str) -> Rule:
    def check(value: str) -> Iterable[str]:
        if not regex.fullmatch(value):
            yield f"{quoted(value)} is not {what}"

    return check


def at_least(low: int, what: str) -> Rule:
    def check(value: int) -> Iterable[str]:
        if value < low:
            yield f"must be {what}"

    return check


def _no_rule(value: Any) -> Iterable[str]:
    return ()


def record(findings: Iterable[str], path: Path, label: str, problems: Problems) -> None:
    """A rule's findings as problems: :class:`Warn` ones as warnings, the rest as errors."""
    for finding in findings:
        (problems.warn if isinstance(finding, Warn) else problems.error)(path, f"{label}: {finding}")


def matches(value: Any, expected: Any) -> bool:
    """Whether a TOML value has the declared type (bool is not an int here)."""
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return any(matches(value, arg) for arg in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if origin is list:
        (item,) = typing.get_args(expected)
        return isinstance(value, list) and all(matches(v, item) for v in value)
    if origin is dict:
        _, item = typing.get_args(expected)
        return isinstance(value, dict) and all(matches(v, item) for v in value.values())
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is datetime.date:
        return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
    return isinstance(value, expected)


_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    datetime.date: "a date like 2024-04-01",
    list: "a list",
    dict: "a table",
    float: "a number",
    datetime.datetime: "a date and time",
    datetime.time: "a time",
}

_PLURALS = {str: "strings", int: "integers"}


def describe(expected: Any) -> str:
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in typing.get_args(expected) if a is not type(None))
    if origin is list:
        return f"a list of {_PLURALS[typing.get_args(expected)[0]]}"
    if origin is dict:
        return f"a table of {_PLURALS[typing.get_args(expected)[1]]}"
    return _NAMES[expected]


def describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        odd = next((v for v in value if not isinstance(v, str)), None)
        return "a list" if odd is None else f"a list holding {describe_value(odd)}"
    for kind in (datetime.datetime, datetime.date, datetime.time, int, float, str, dict):
        if isinstance(value, kind):
            return _NAMES[kind]
    return type(value).__name__
