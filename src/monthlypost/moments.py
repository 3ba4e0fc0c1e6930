"""When a month goes out: its publish_at in the author's time zone, read once, with the checks a schedule
needs (SPEC §14).

``publish_at`` in topic.toml is a local date and time in ``[author]
timezone`` (or one with its own offset): the moment the video goes public
and the post goes live. The email follows ``[email] delay_minutes`` later.
A local time the zone skips (clocks going forward) is an error; one it
passes twice (clocks going back) is the first of the two, with a warning.
Without publish_at, a month is published on its date at 9 in the morning.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from monthlypost.campaign import Campaign
    from monthlypost.config import Settings
    from monthlypost.errors import Problems
    from monthlypost.workspace import Workspace

MORNING = datetime.time(9, 0)
LEAST_AHEAD = datetime.timedelta(minutes=15)  # a schedule nearer than this may fire before it is confirmed


def zone(settings: Settings) -> datetime.tzinfo:
    if settings.author.timezone == "UTC":
        return datetime.UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.author.timezone)


def in_zone(local: datetime.datetime, tz: datetime.tzinfo) -> tuple[datetime.datetime, str | None]:
    """A local time as an instant in ``tz``, and what is odd about it: None, 'skipped' (a time the clocks
    jump over) or 'twice' (a time the clocks pass two times; the first is taken)."""
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first, None
    # In a gap, fold=0 is the time before the change read with the offset before it: going round UTC moves it.
    back = first.astimezone(datetime.UTC).astimezone(tz).replace(tzinfo=None)
    return first, ("twice" if back == local else "skipped")


class Moments(NamedTuple):
    """The month's instants: the video and the post together, then the email."""

    video: datetime.datetime
    post: datetime.datetime
    email: datetime.datetime
    scheduled: bool  # from publish_at (else the date at 9 in the morning, not a schedule)


def moments(settings: Settings, campaign: Campaign, problems: Problems | None = None) -> Moments:
    """The month's moments, in the author's zone (an offset written in publish_at is kept as an instant)."""
    tz = zone(settings)
    at = campaign.topic.publish_at
    if at is None:
        when = datetime.datetime.combine(campaign.publish_date, MORNING, tzinfo=tz)
        return Moments(when, when, when, scheduled=False)
    if at.tzinfo is None:
        when, odd = in_zone(at, tz)
        if odd and problems is not None:
            shown = f"{at:%Y-%m-%d %H:%M}"
            if odd == "skipped":
                problems.error(
                    campaign.topic_path,
                    f"publish_at: {shown} does not happen in {settings.author.timezone}: the clocks go forward "
                    "over it that night; choose a time outside the hour they skip",
                )
            else:
                problems.warn(
                    campaign.topic_path,
                    f"publish_at: {shown} happens twice in {settings.author.timezone} (the clocks go back that "
                    f"night); the first is taken, {when.isoformat()}; write the offset to choose",
                )
    else:
        when = at.astimezone(tz)
    email = when + datetime.timedelta(minutes=settings.email.delay_minutes)
    return Moments(when, when, email, scheduled=True)


def uploaded(settings: Settings, campaign: Campaign) -> datetime.date:
    """When the video went public: video_date, else publish_at's moment, else the post's (which the month warns
    about)."""
    return _given(settings, campaign.topic.video_date) or moments(settings, campaign).video


def updated(settings: Settings, campaign: Campaign) -> datetime.date | None:
    """When the post was last changed after it was published: the month's updated, if given."""
    return _given(settings, campaign.topic.updated)


def _given(settings: Settings, value: datetime.date | None) -> datetime.date | None:
    """A date in topic.toml as it is, or a time in it with its own offset, or in the author's zone."""
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return in_zone(value, zone(settings))[0]
    return value


def ahead_problem(when: datetime.datetime, now: datetime.datetime, what: str) -> str | None:
    """Why ``when`` cannot be scheduled ``now`` (past, or under 15 minutes ahead), or None."""
    if when <= now:
        return (
            f"{what}'s moment, {when.isoformat()}, has passed; a schedule in the past would publish at once. "
            "Set publish_at to a time ahead"
        )
    if when - now < LEAST_AHEAD:
        minutes = int((when - now).total_seconds() // 60)
        return (
            f"{what}'s moment, {when.isoformat()}, is only {minutes} minutes ahead; a schedule needs at least "
            f"{int(LEAST_AHEAD.total_seconds() // 60)}, so that it cannot fire before it is confirmed"
        )
    return None


def utc(when: datetime.datetime) -> str:
    """An instant as the services want it: UTC, RFC 3339, whole seconds, 'Z'."""
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_schedule(workspace: Workspace, month: str, what: str) -> tuple[Moments, datetime.datetime]:
    """The month's moments, and the one of ``what`` ("video", "post", "email"), checked to be one a schedule
    can take: from a publish_at, and ahead of now by 15 minutes or more (else MonthlypostError, saying why)."""
    from monthlypost.campaign import read_campaign
    from monthlypost.errors import MonthlypostError, Problems

    problems = Problems()
    campaign = read_campaign(month, workspace.month_files(month), problems)
    if campaign is None:  # it built a moment ago: changed since
        raise MonthlypostError(problems.errors)
    settings = workspace.settings
    found = moments(settings, campaign)
    if not found.scheduled:
        raise MonthlypostError.at(campaign.topic_path, f"--schedule: {no_publish_at(settings)}")
    when = getattr(found, what)
    late = ahead_problem(when, datetime.datetime.now(datetime.UTC), f"the {what}")
    if late is not None:
        raise MonthlypostError.at(campaign.topic_path, f"publish_at: {late}")
    return found, when


def no_publish_at(settings: Settings) -> str:
    return (
        "there is no publish_at to schedule; add one, like publish_at = 2024-04-15T09:00 "
        f"(in {settings.author.timezone})"
    )
