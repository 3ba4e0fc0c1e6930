"""monthlypost status (SPEC §14): where each month stands on every channel, and what is out of step.

From the records in .monthlypost/ (what the last pushes saw), or, with
``live``, from the services themselves: one videos.list for up to 50
videos, one read of each month's post and of each month's email draft.
Out of step: a post live while its video is not public; a scheduled post
whose moment passed (WP-Cron, say, did not run); an email sent while its
video is not public yet, or scheduled while its video is private and not
scheduled, or before it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monthlypost.errors import MonthlypostError, Problem
from monthlypost.publish import dig

if TYPE_CHECKING:
    from pathlib import Path

    from monthlypost.workspace import Workspace

NONE = "-"


@dataclass
class Row:
    month: str
    build: str = NONE
    email: str = NONE
    post: str = NONE
    video: str = NONE
    email_at: datetime.datetime | None = None  # a scheduled email's moment
    post_at: datetime.datetime | None = None  # a scheduled post's moment
    video_at: datetime.datetime | None = None  # a scheduled video's moment
    flags: list[str] = field(default_factory=list)


@dataclass
class Report:
    rows: list[Row]
    problems: list[Problem] = field(default_factory=list)  # a channel that could not be read (live)

    @property
    def out_of_step(self) -> bool:
        return any(row.flags for row in self.rows)


def _when(text: Any) -> datetime.datetime | None:
    """A service's time (ISO 8601; WordPress's date_gmt has no offset and is UTC)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        found = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=datetime.UTC)


POST_WORDS = {"publish": "live", "published": "live", "sent": "live", "future": "scheduled", "scheduled": "scheduled"}


def report(workspace: Workspace, months: list[str], live: bool, now: datetime.datetime | None = None) -> Report:
    from monthlypost.build import state
    from monthlypost.published import Published

    now = now or datetime.datetime.now(datetime.UTC)
    published = Published(workspace)
    result = Report([])
    for month in months:
        row = Row(month)
        built, folder = state(workspace, month)
        row.build = built
        shown, email, _ = published.month(month)
        row.email = email or NONE
        draft = published.drafts.get(month)
        if isinstance(draft, dict) and draft.get("scheduled_at"):
            row.email, row.email_at = "scheduled", _when(draft["scheduled_at"])
        post = published.posts.get(month)
        if isinstance(post, dict) and isinstance(post.get("status"), str):
            row.post = POST_WORDS.get(post["status"], post["status"])
        pushed = published.pushed.get(month)
        if isinstance(pushed, dict):
            row.video_at = _when(pushed.get("publish_at"))
            row.video = "scheduled" if row.video_at else "pushed"
        result.rows.append(row)
    if live:
        _live(workspace, result)
    for row in result.rows:
        row.flags = out_of_step(row, now)
    return result


def _live(workspace: Workspace, result: Report) -> None:
    """Each channel read from its service; one that cannot be read is said, and its column left as recorded."""
    for read in (_live_videos, _live_posts, _live_emails):
        try:
            read(workspace, result.rows)
        except MonthlypostError as err:
            result.problems.extend(Problem(p.path, p.message, "warning") for p in err.problems)


def _live_videos(workspace: Workspace, rows: list[Row]) -> None:
    from monthlypost.campaign import peek_video
    from monthlypost.publish.youtube import YouTube

    folders = workspace.months()
    ids = {row.month: peek_video(folders[row.month]) for row in rows}
    wanted = [vid for vid in ids.values() if vid]
    if not wanted:
        return
    videos = YouTube(workspace.settings, workspace.state).videos(wanted, status=True)
    for row in rows:
        video = videos.get(ids[row.month] or "")
        if video is None:
            row.video = "not found" if ids[row.month] else NONE
            continue
        row.video_at = _when(video.publish_at)
        row.video = "scheduled" if video.privacy == "private" and row.video_at else video.privacy


def _recorded_ids(path: Path, rows: list[Row]) -> dict[str, str]:
    """The ids a record (blog-posts.json, email-drafts.json) holds for the rows' months."""
    from monthlypost.paths import read_state

    records = read_state(path)
    found = {row.month: dig(records, row.month, "id") for row in rows}
    return {month: str(found_id) for month, found_id in found.items() if found_id}


def _live_posts(workspace: Workspace, rows: list[Row]) -> None:
    from monthlypost.publish.blog import connect
    from monthlypost.published import posts_path

    held_ids = _recorded_ids(posts_path(workspace.state), rows)
    if not held_ids:
        return
    site = connect(workspace.settings)
    try:
        site.login()
        for row in rows:
            post_id = held_ids.get(row.month)
            if not post_id:
                continue
            held = site.read(str(post_id))
            if held is None or held.gone:
                row.post = "deleted"
                continue
            row.post = POST_WORDS.get(held.status, held.status)
            row.post_at = _when(held.date) if row.post == "scheduled" else None
    finally:
        site.client.close()


def _live_emails(workspace: Workspace, rows: list[Row]) -> None:
    from monthlypost.publish.mail import drafts_path, provider_for
    from monthlypost.publish.providers import SENT

    draft_ids = _recorded_ids(drafts_path(workspace.state), rows)
    if not draft_ids:
        return
    provider = provider_for(workspace.settings)
    try:
        for row in rows:
            draft_id = draft_ids.get(row.month)
            if not draft_id:
                continue
            remote = provider.read(str(draft_id))
            if remote is None:
                row.email = "deleted"
            elif remote.scheduled:
                row.email = "scheduled"
            elif remote.state == SENT:
                row.email = "sent"
    finally:
        provider.client.close()


def out_of_step(row: Row, now: datetime.datetime) -> list[str]:
    """What is wrong between the month's channels."""
    flags = []
    video_out = row.video == "public" or (row.video == "scheduled" and row.video_at is not None and row.video_at <= now)
    if row.post == "live" and row.video in ("private", "scheduled") and not video_out:
        flags.append("the post is live, but the video is not public yet")
    if row.post == "scheduled" and row.post_at is not None and row.post_at <= now:
        flags.append(
            f"the post was to go live at {row.post_at.isoformat()} and is still scheduled (did the site's "
            "scheduler run? WordPress needs a visit, or WP-Cron, to publish it)"
        )
    if row.email == "sent" and row.video in ("private", "scheduled") and not video_out:
        flags.append("the email went out, but the video is not public yet")
    if row.email == "scheduled" and row.video == "private":
        flags.append("the email is scheduled, but the video is private and not scheduled")
    if row.email == "scheduled" and row.email_at and row.video_at and row.email_at < row.video_at:
        flags.append("the email is scheduled before the video goes public")
    return flags


def table(rows: list[Row], zone: datetime.tzinfo) -> list[tuple[str, ...]]:
    """The report as rows of cells, a heading first; a schedule's time in ``zone``."""

    def cell(word: str, at: datetime.datetime | None) -> str:
        return f"{word} {at.astimezone(zone):%Y-%m-%d %H:%M}" if at and word == "scheduled" else word

    body: list[tuple[str, ...]] = [("month", "build", "email", "post", "video")]
    for row in rows:
        channels = (cell(row.email, row.email_at), cell(row.post, row.post_at), cell(row.video, row.video_at))
        body.append((row.month, row.build, *channels))
    return body
