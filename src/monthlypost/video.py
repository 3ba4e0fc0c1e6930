"""YouTube links, ids, thumbnails and chapters."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import pairwise
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from monthlypost.errors import quoted

_ID = re.compile(r"[A-Za-z0-9_-]{11}")
PLACEHOLDER_ID = "XXXXXXXXXXX"  # what a new month's topic.toml holds until the video exists
_YOUTUBE_HOSTS = {"youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com"}
_PATH_FORMS = ("shorts", "embed", "live", "v", "e")


class VideoLinkError(ValueError):
    """The text is not a link to one YouTube video; the message quotes it."""


def video_id(link: str) -> str:
    """The 11-character id from any common form of YouTube video link, or the bare id."""
    text = link.strip()
    if _ID.fullmatch(text):
        return text
    try:
        url = urlsplit(text if "://" in text else f"https://{text}")
        hostname = (url.hostname or "").lower()
    except ValueError:  # an unclosed '[' in the host, and the like
        url, hostname = None, ""
    if url is None or url.scheme not in ("http", "https") or "." not in hostname or any(c.isspace() for c in text):
        raise VideoLinkError(f"{quoted(link)} is not a YouTube video link or an 11-character video id")
    host = hostname.removeprefix("www.")
    if host == "youtu.be":
        candidate = url.path.strip("/")
    elif host in _YOUTUBE_HOSTS:
        candidate = _id_on_youtube(url.path, parse_qs(url.query), link)
    else:
        raise VideoLinkError(f"{quoted(link)} is not a YouTube link (it points to {hostname})")
    if not _ID.fullmatch(candidate):
        raise VideoLinkError(f"{quoted(link)} does not hold an 11-character YouTube video id")
    return candidate


def _id_on_youtube(path: str, query: dict[str, list[str]], link: str) -> str:
    parts = [p for p in path.split("/") if p]
    if parts == ["watch"]:
        if "v" in query:
            return query["v"][0]
        if "list" in query:
            raise VideoLinkError(f"{quoted(link)} is a playlist, not a video; link one video from it")
        raise VideoLinkError(f"{quoted(link)} has no video id (v=…)")
    if len(parts) == 2 and parts[0] in _PATH_FORMS:
        return parts[1]
    if parts == ["playlist"]:
        raise VideoLinkError(f"{quoted(link)} is a playlist, not a video; link one video from it")
    raise VideoLinkError(f"{quoted(link)} is not a link to a YouTube video")


def watch_url(vid: str) -> str:
    return f"https://www.youtube.com/watch?v={vid}"


def embed_url(vid: str) -> str:
    return f"https://www.youtube-nocookie.com/embed/{vid}"


def thumbnail_url(vid: str) -> str:
    # hqdefault exists for every video; maxresdefault does not.
    return f"https://i.ytimg.com/vi/{vid}/hqdefault.jpg"


_HASHTAG = re.compile(r"\w+")
HASHTAGS_MAX = 60  # past this YouTube ignores every hashtag
DESCRIPTION_MAX_BYTES = 5000  # YouTube's limit on a video description
TITLE_MAX = 100  # characters, YouTube's limit on a video title
TAGS_MAX = 500  # characters of tags, as YouTube counts them


def hashtag_name(tag: str) -> str | None:
    """'#HipPain' or 'HipPain' → 'HipPain'; None when YouTube would not take it."""
    name = tag.strip().removeprefix("#")
    return name if _HASHTAG.fullmatch(name) else None


_HASHTAG_IN_TEXT = re.compile(r"#(\w*[^\W\d]\w*)")  # not digits only; at a word's start (checked, as quicker)


def hashtags_in(text: str) -> list[str]:
    """The hashtags YouTube finds in a title or description, in order, each once."""
    return once(
        found[1] for found in _HASHTAG_IN_TEXT.finditer(text) if found.start() == 0 or text[found.start() - 1].isspace()
    )


def youtube_hashtags(title: str, description: str) -> tuple[list[str], list[str]]:
    """Every hashtag of a video as YouTube reads them, and the (up to) three it shows above the title:
    the title's own when it has any, else the description's first three."""
    in_title, in_description = hashtags_in(title), hashtags_in(description)
    return once([*in_title, *in_description]), (in_title or in_description)[:3]


def once(names: Iterable[str]) -> list[str]:
    """Each hashtag once, compared without case, as first written."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.casefold(), name)
    return list(seen.values())


def hashtag_problems(tags: list[str]) -> Iterator[str]:
    for tag in tags:
        if hashtag_name(tag) is None:
            yield f"'{tag}' may hold only letters, digits and '_'"


class Chapter(NamedTuple):
    line: str  # exactly as written, which is how it goes into the description
    seconds: int
    label: str

    @property
    def timestamp(self) -> str:
        return self.line.split(maxsplit=1)[0]

    @property
    def iso(self) -> str:
        """The start as an ISO 8601 duration, for <time datetime>: 'PT1M5S'."""
        return iso_duration(self.seconds)


_TIME = r"(?:([0-9]+):)?([0-9]{1,2}):([0-9]{2})"
_CHAPTER = re.compile(_TIME + r"[ \t]+(\S.*)")
_DURATION = re.compile(_TIME)


def _seconds(hours: str | None, minutes: str, seconds: str, written: str) -> int:
    if int(seconds) > 59 or (hours is not None and int(minutes) > 59):
        raise ValueError(f"'{written}' has an impossible time")
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)


def parse_chapter(line: str) -> Chapter:
    """'1:05 Why sitting matters' → Chapter(65, 'Why sitting matters')."""
    match = _CHAPTER.fullmatch(line.strip())
    if not match:
        raise ValueError(f"'{line}' is not a chapter like '1:05 Title'")
    hours, minutes, seconds, label = match.groups()
    return Chapter(line.strip(), _seconds(hours, minutes, seconds, line), label)


def parse_duration(text: str) -> int:
    """'12:34' or '1:02:03' → seconds."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a length like '12:34' or '1:02:03'")
    return _seconds(*match.groups(), text)


def iso_duration(seconds: int) -> str:
    """75 → 'PT1M15S'; 0 → 'PT0S' (ISO 8601, as HTML's <time> and schema.org take it)."""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else "", f"{seconds}S" if seconds else ""]
    return "PT" + ("".join(parts) or "0S")


def duration_problems(text: str) -> Iterator[str]:
    try:
        if parse_duration(text) == 0:
            yield "must be longer than 0:00"
    except ValueError as err:
        yield str(err)


def chapters_within(chapters: list[Chapter], duration: int) -> Iterator[str]:
    """Chapters against the video's length: each starts before the end, the last lasts 10 seconds or more."""
    for chapter in chapters:
        if chapter.seconds >= duration:
            yield f"'{chapter.line}' starts after the video ends (duration {_clock(duration)})"
            return
    if chapters and duration - chapters[-1].seconds < 10:
        yield f"'{chapters[-1].line}' lasts under 10 seconds before the end (YouTube needs 10 or more for each)"


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def chapter_problems(lines: list[str]) -> Iterator[str]:
    """What is wrong with chapter lines, and why YouTube would ignore them, if it would."""
    chapters = []
    for line in lines:
        try:
            chapters.append(parse_chapter(line))
        except ValueError as err:
            yield str(err)
    if not chapters or len(chapters) < len(lines):
        return
    if chapters[0].seconds != 0:
        yield f"the first must start at 0:00, not {chapters[0].timestamp} (YouTube ignores them otherwise)"
    if len(chapters) < 3:
        yield f"only {len(chapters)}; YouTube needs at least three to show chapters"
    for before, after in pairwise(chapters):
        if after.seconds <= before.seconds:
            yield f"'{after.line}' does not come after '{before.line}' (YouTube needs them in order)"
        elif after.seconds - before.seconds < 10:
            yield f"'{before.line}' lasts under 10 seconds (YouTube needs 10 or more for each)"
