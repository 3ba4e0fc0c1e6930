"""What monthlypost remembers about what it published, kept in .monthlypost/.

``youtube-pushed.json``: for each month, the video and the hash of the
description last put on it, so ``list`` can say "pushed" without asking
YouTube. ``blog-posts.json``: each month's post on the site, as blog push
last left or found it. Light on imports: ``list`` reads them (once) for all
the months.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monthlypost.paths import read_state, write_entry

if TYPE_CHECKING:
    from monthlypost.workspace import Workspace


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pushed_path(state: Path) -> Path:
    return state / "youtube-pushed.json"


def posts_path(state: Path) -> Path:
    return state / "blog-posts.json"


POST_WORDS = {"publish": "live", "published": "live", "future": "scheduled", "sent": "live"}


def post_state(record: Any, manifest: dict[str, Any] | None) -> str | None:
    """For `list`: the post's state on the site ('draft', 'live', 'scheduled'…), and whether it was edited there
    since the last push, or holds an older build than this one."""
    if not isinstance(record, dict) or "id" not in record or not isinstance(record.get("status"), str):
        return None
    shown = POST_WORDS.get(record["status"], record["status"])
    if record.get("edited_on_site"):
        shown += ", edited on the site"
    elif manifest is not None and record.get("built") != manifest.get("inputs_sha256"):
        shown += ", older"
    return shown


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_pushed(state: Path) -> dict[str, Any]:
    return read_state(pushed_path(state))


def record_pushed(state: Path, month: str, video_id: str, description: str, **changed: Any) -> None:
    """What is on the month's video now: its description, and what else push set there (the thumbnail's
    hash and address, the moment it goes public), each kept from before until it changes (None: gone)."""
    before = read_pushed(state).get(month)
    entry: dict[str, Any] = {}
    if isinstance(before, dict) and before.get("video_id") == video_id:
        entry.update(before)
    entry.update(video_id=video_id, description_sha256=sha256(description), **changed)
    write_entry(pushed_path(state), month, {key: value for key, value in entry.items() if value is not None})


class Published:
    """What `list` shows beside each month: built, stale or pushed, and the email draft's state.

    The records in .monthlypost/ are read once for all the months, not once a month.
    """

    def __init__(self, workspace: Workspace):
        self.workspace = workspace

    @cached_property
    def pushed(self) -> dict[str, Any]:
        return read_state(pushed_path(self.workspace.state))  # damaged: said for each month

    @cached_property
    def posts(self) -> dict[str, Any]:
        return _or_nothing(posts_path(self.workspace.state))  # blog push says what is wrong with a damaged one

    @cached_property
    def drafts(self) -> dict[str, Any]:
        from monthlypost.publish.mail import drafts_path

        return _or_nothing(drafts_path(self.workspace.state))  # as email push does

    def month(self, month: str) -> tuple[str, str | None, str | None]:
        """build.state(), or 'pushed' when the month is built and its description is the one on the video; the
        draft in the mail provider: 'draft' (this build's), 'draft, older', or None (none pushed); and the post
        on the site: 'draft', 'live', 'scheduled'…, with ', edited on the site' or ', older' where so, or None."""
        from monthlypost.build import state
        from monthlypost.publish.mail import draft_state

        built, folder = state(self.workspace, month)
        manifest = folder.manifest
        email = draft_state(self.drafts.get(month), folder.files, manifest) if manifest else None
        post = post_state(self.posts.get(month), manifest)
        if built == "built" and manifest is not None and "youtube.txt" in folder.files:
            description = folder.files["youtube.txt"].decode("utf-8").rstrip("\n")
            entry = {"video_id": str(manifest.get("video_id")), "description_sha256": sha256(description)}
            pushed = self.pushed.get(month)
            if isinstance(pushed, dict) and all(pushed.get(key) == value for key, value in entry.items()):
                return "pushed", email, post
        return built, email, post


def _or_nothing(path: Path) -> dict[str, Any]:
    """A record list shows a column from; a damaged one leaves the column empty (its command says why)."""
    from monthlypost.errors import MonthlypostError

    try:
        return read_state(path)
    except MonthlypostError:
        return {}
