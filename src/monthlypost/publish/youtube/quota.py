"""YouTube's daily quota: the units spent today, and when YouTube last said it was used up."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monthlypost.errors import YouTubeError
from monthlypost.paths import read_state, write_state

READ_UNITS = 1  # videos.list, channels.list
UPDATE_UNITS = 50  # videos.update
THUMBNAIL_UNITS = 50  # thumbnails.set ("approximately 50 units", says its reference)
QUOTA_RESET = "midnight Pacific time"
COSTS = f"a read costs {READ_UNITS} unit, an update {UPDATE_UNITS}, a thumbnail {THUMBNAIL_UNITS}"


# --- The quota ---------------------------------------------------------------------------


def pacific_now(now: datetime.datetime | None = None) -> datetime.datetime:
    """The time in YouTube's quota day, which ends at midnight Pacific time (daylight saving included)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        pacific = ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        raise YouTubeError.at(
            None,
            "this Python has no time-zone database, so YouTube's day (Pacific time) cannot be told; "
            "install one ('pip install tzdata') and run the same command again",
        ) from None
    return (now or datetime.datetime.now(datetime.UTC)).astimezone(pacific)


@dataclass
class Ledger:
    """Units spent today (YouTube's day ends at midnight Pacific time), kept in .monthlypost/.

    It also remembers when YouTube last said the quota was used up (``blocked_at``)
    and what [youtube] daily_quota was then: raising daily_quota lifts that block.
    """

    path: Path
    quota: int

    def _today(self) -> dict[str, Any]:
        data = read_state(self.path)
        units, day, at, quota = data.get("units", 0), data.get("day", ""), data.get("blocked_at"), data.get("quota")
        if (
            not _count(units)
            or not isinstance(day, str)
            or not (at is None or (isinstance(at, str) and _instant(at)))
            or not (quota is None or _count(quota))
        ):
            raise YouTubeError.at(
                self.path, "damaged: not what monthlypost wrote there; delete it and monthlypost will start it afresh"
            )
        today = pacific_now().date().isoformat()
        return data if day == today else {"day": today, "units": 0}

    def used(self) -> int:
        return int(self._today()["units"])

    def remaining(self) -> int:
        return max(0, self.quota - self.used())

    def spend(self, units: int) -> None:
        data = self._today()
        write_state(self.path, {**data, "units": data["units"] + units})

    def blocked(self) -> datetime.datetime | None:
        """When YouTube said today that the quota was used up, unless daily_quota has been raised since."""
        data = self._today()
        at = data.get("blocked_at")
        if at is None or self.quota > data.get("quota", self.quota):
            return None
        return _instant(at)

    def raised_since_block(self) -> tuple[int, datetime.datetime] | None:
        """(daily_quota then, when) if YouTube said the quota was used up and daily_quota is higher now."""
        data = self._today()
        at = data.get("blocked_at")
        if at is None or self.quota <= data.get("quota", self.quota):
            return None
        return int(data["quota"]), _instant(at)  # type: ignore[return-value]

    def block(self) -> datetime.datetime:
        """YouTube said the quota is used up: remember when, and under which daily_quota."""
        now = datetime.datetime.now(datetime.UTC)
        write_state(self.path, {**self._today(), "blocked_at": now.isoformat(), "quota": self.quota})
        return now

    def lift(self) -> None:
        data = self._today()
        if "blocked_at" in data:
            write_state(self.path, {"day": data["day"], "units": data["units"]})


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _instant(text: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def used_up(ledger: Ledger, at: datetime.datetime, sent: str) -> str:
    """What happened when YouTube said the quota is used up, and the ways on."""
    used = ledger.used()
    elsewhere = (
        ", so the rest went to other programs using the same Google Cloud project, or its quota is lower"
        if used < ledger.quota
        else ""
    )
    return (
        f"YouTube said at {pacific_now(at):%H:%M} Pacific time that the project's daily API quota was used up "
        f"(monthlypost spent {used} of the {ledger.quota} units in [youtube] daily_quota today{elsewhere}). "
        f"Nothing {sent}was sent. "
        f"The quota resets at {QUOTA_RESET}; if Google has raised it, set [youtube] daily_quota to the new figure, "
        "or add --ignore-quota-block to try again now"
    )
