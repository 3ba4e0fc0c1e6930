"""What phonenumbers (Google's libphonenumber data) says of the author's phone number, remembered between runs.

Importing phonenumbers costs a one-month build a tenth of its time, only to
answer the same questions about the same number on every run: is the country
one it knows, could the number be one there, and how does a tel: link dial it
(E.164). The answers are kept in the user's config folder, next to the
template cache's key, and never in a workspace: a workspace that came with a
false answer would make the tel: links dial someone else's number. They are
kept apart for each installed phonenumbers (its file, size and time), so that
two installs of monthlypost (pipx's and a development one, say) each keep
their own, and after an upgrade it is asked again. A run that writes nothing
(check) remembers nothing new; a file that cannot be read or written is
simply not used.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from monthlypost.errors import MonthlypostError
from monthlypost.paths import kind, parse_json, read_bytes, write_atomically

KEPT_MOST = 32  # countries, and numbers, remembered: a user has one or a few
KEPT_INSTALLS = 4  # phonenumbers installs remembered for: the last to learn something


class Number(NamedTuple):
    possible: bool  # it could be a number in its country
    dialled: str | None  # E.164 (+18786887378); None where it does not read as a number at all


def memo_path() -> Path:
    import click

    return Path(click.get_app_dir("monthlypost")) / "phone-numbers.json"


class _Memo:
    def __init__(self) -> None:
        self.stamp: str | None = None  # the installed phonenumbers', once looked at
        self.countries: dict[str, bool] = {}
        self.numbers: dict[str, Number] = {}
        self.read = False
        self.learned = False  # something not in the file yet

    def load(self) -> None:
        if self.read:
            return
        self.read = True
        self.stamp = _stamp()
        mine = next((kept for kept in _installs() if kept.get("phonenumbers") == self.stamp), {})
        countries, numbers = mine.get("countries"), mine.get("numbers")
        if isinstance(countries, dict) and all(isinstance(v, bool) for v in countries.values()):
            self.countries.update(countries)
        if isinstance(numbers, dict):
            for key, value in numbers.items():
                if _is_number(value):
                    self.numbers[key] = Number(value[0], value[1])

    def save(self) -> None:
        if not self.learned or self.stamp is None:
            return
        self.learned = False
        for kept in (self.countries, self.numbers):  # never grows without end: the newest are kept
            for old in list(kept)[:-KEPT_MOST]:
                del kept[old]
        mine = {"phonenumbers": self.stamp, "countries": self.countries, "numbers": self.numbers}
        # read again: another install may have written its own since; this one goes last, as the newest
        others = [kept for kept in _installs() if kept.get("phonenumbers") != self.stamp]
        others = others[max(0, len(others) - (KEPT_INSTALLS - 1)) :]  # room for this one among the newest
        body = {"installs": [*others, mine]}  # keys in the order learned: oldest first
        with contextlib.suppress(MonthlypostError, OSError):
            write_atomically(memo_path(), (json.dumps(body, indent=2) + "\n").encode("utf-8"))


def _installs() -> list[dict[str, Any]]:
    """What the file keeps for each install, the newest last; nothing if it cannot be read."""
    try:
        kept = parse_json(read_bytes(memo_path())) if kind(memo_path()) == "file" else None
    except (MonthlypostError, ValueError):
        return []
    installs = kept.get("installs") if isinstance(kept, dict) else None
    if not isinstance(installs, list):
        return []
    return [install for install in installs if isinstance(install, dict)]


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], bool)
        and (value[1] is None or isinstance(value[1], str))
    )


def _stamp() -> str | None:
    """The installed phonenumbers, told by its file (no import): None if it cannot be found."""
    try:
        spec = importlib.util.find_spec("phonenumbers")
        info = os.stat(spec.origin) if spec and spec.origin else None
    except (ImportError, OSError, ValueError):
        return None
    return f"{spec.origin}:{info.st_size}:{info.st_mtime_ns}" if info else None


_memo = _Memo()


def is_country(code: str) -> bool:
    """Whether phonenumbers knows the country ('US', 'GB'…)."""
    _memo.load()
    if code not in _memo.countries:
        import phonenumbers

        _memo.countries[code] = code in phonenumbers.SUPPORTED_REGIONS
        _memo.learned = True
    return _memo.countries[code]


def number(phone: str, country: str) -> Number:
    """The phone number as written, read in that country (where it has no +country code)."""
    _memo.load()
    key = f"{country} {phone}"
    if key not in _memo.numbers:
        import phonenumbers

        try:
            parsed = phonenumbers.parse(phone, country)
        except phonenumbers.NumberParseException:
            found = Number(False, None)
        else:
            dialled = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            found = Number(phonenumbers.is_possible_number(parsed), dialled)
        _memo.numbers[key] = found
        _memo.learned = True
    return _memo.numbers[key]


def remember() -> None:
    """What was learned this run written down, for the next (not by a run that writes nothing)."""
    _memo.save()
