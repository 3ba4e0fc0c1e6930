"""Publishing to outside services: the mail providers (email push), blogs (blog push) and YouTube (youtube
push), each a channel of one flow (flow.py), through one HTTP client (http.py, but for Google's).

Here: what the channels' records and keys have in common.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Any

from monthlypost.errors import MonthlypostError

_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")  # every service's ids; nothing that could change a request's path


def valid_id(value: Any) -> str | None:
    """``value`` as an id a service gave, or None if it is not one (a path, say, from a hand-edited record)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value) if _ID.fullmatch(str(value)) else None


def dig(data: Any, *keys: str) -> Any:
    """data[key][key]…, or None where an answer is not the shape its reference gives."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def secret(variable: str, what: str, kind: str, source: str, spaces: bool = False) -> str:
    """A key, password or login name from the environment variable, where alone monthlypost reads it;
    unset, or holding what no ``kind`` does (a character pasted with it), is an error saying what to do."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise MonthlypostError.at(
            None, f"{variable} is not set: export it with {what}; monthlypost reads it from there only, never a file"
        )
    odd = secret_problem(value, spaces)
    if odd:
        again = "the key" if kind.endswith("key") else "it"
        raise MonthlypostError.at(None, f"{variable}: {odd}, which no {kind} holds; copy {again} again from {source}")
    return value


def secret_problem(secret: str, spaces: bool = False) -> str | None:
    """What a pasted key or password holds that no key does (a zero-width space, a curly quote, a
    non-breaking hyphen), and where; never the secret itself. ``spaces``: whether a space may be in it
    (WordPress's application passwords have them)."""
    for at, char in enumerate(secret, 1):
        if not char.isascii() or not char.isprintable() or (char.isspace() and not spaces):
            from monthlypost.tables import INVISIBLE  # "a zero-width space (U+200B), which shows as nothing"

            named = INVISIBLE.get(char, "").split(",")[0]
            return (
                f"character {at} is {named or unicodedata.name(char, 'a control character') + f' (U+{ord(char):04X})'}"
            )
    return None
