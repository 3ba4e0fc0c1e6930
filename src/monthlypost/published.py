"""What monthlypost remembers about what it published, kept in .monthlypost/.

``youtube-pushed.json``: for each month, the video and the hash of the
description last put on it, so ``list`` can say "pushed" without asking
YouTube. Light on imports: ``list`` reads it for every month.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from monthlypost.paths import read_state, write_state

if TYPE_CHECKING:
    from monthlypost.workspace import Workspace


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pushed_path(state: Path) -> Path:
    return state / "youtube-pushed.json"


def record_pushed(state: Path, month: str, video_id: str, description: str) -> None:
    path = pushed_path(state)
    pushed = read_state(path)
    pushed[month] = {"video_id": video_id, "description_sha256": sha256(description)}
    write_state(path, pushed)


def is_pushed(state: Path, month: str, video_id: str, description: str) -> bool:
    """Whether this exact description is the one last put on this month's video."""
    entry = read_state(pushed_path(state)).get(month)
    return isinstance(entry, dict) and entry == {"video_id": video_id, "description_sha256": sha256(description)}


def month_state(workspace: Workspace, month: str) -> tuple[str, str | None]:
    """build.state(), or 'pushed' when the month is built and its description is the one on the video; and
    the email's draft in the mail provider: 'draft' (this build's), 'draft, older', or None (no draft pushed)."""
    from monthlypost.build import state
    from monthlypost.publish.mail import draft_state

    built, folder = state(workspace, month)
    email = draft_state(workspace, month, folder.files, folder.manifest) if folder.manifest else None
    if built == "built" and folder.manifest is not None and "youtube.txt" in folder.files:
        description = folder.files["youtube.txt"].decode("utf-8").rstrip("\n")
        if is_pushed(workspace.state, month, str(folder.manifest.get("video_id")), description):
            return "pushed", email
    return built, email
