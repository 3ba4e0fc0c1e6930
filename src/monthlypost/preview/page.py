"""The preview page: the month's outputs side by side, as their readers' software shows them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from monthlypost.errors import display_path
from monthlypost.preview import Snapshot
from monthlypost.video import DESCRIPTION_MAX_BYTES

GMAIL_CLIP_BYTES = 102_000
ABOVE_MORE_LINES = 3  # what YouTube shows of a description before "…more"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _problems(snapshot: Snapshot, severity: str) -> list[str]:
    return [
        f"{display_path(p.path)}: {p.message}" if p.path else p.message
        for p in snapshot.problems
        if p.severity == severity
    ]


def page(snapshot: Snapshot) -> str:
    files, facts = snapshot.files, snapshot.facts
    description = files["youtube.txt"].decode("utf-8").rstrip("\n")
    lines = description.split("\n")
    email_bytes = len(files["newsletter.html"])
    description_bytes = len(description.encode("utf-8"))
    return (
        _environment()
        .get_template("page.html")
        .render(
            snapshot=snapshot,
            facts=facts,
            warnings=_problems(snapshot, "warning"),
            text=files["newsletter.txt"].decode("utf-8"),
            above_more="\n".join(lines[:ABOVE_MORE_LINES]),
            below_more="\n".join(lines[ABOVE_MORE_LINES:]),
            description_bytes=description_bytes,
            description_max=DESCRIPTION_MAX_BYTES,
            description_share=min(100, round(100 * description_bytes / DESCRIPTION_MAX_BYTES)),
            email_bytes=email_bytes,
            email_max=GMAIL_CLIP_BYTES,
            email_share=min(100, round(100 * email_bytes / GMAIL_CLIP_BYTES)),
        )
    )


def error_page(snapshot: Snapshot) -> str:
    return (
        _environment()
        .get_template("page.html")
        .render(
            snapshot=snapshot,
            facts={"title": snapshot.month},
            errors=_problems(snapshot, "error"),
            warnings=_problems(snapshot, "warning"),
        )
    )


def kilobytes(size: int) -> str:
    return f"{size / 1000:.1f} KB"


_environment().filters["kb"] = kilobytes
_environment().filters["thousands"] = lambda n: f"{n:,}"
