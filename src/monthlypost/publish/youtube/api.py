"""The YouTube Data API client: reads videos, updates descriptions, counts every request it sends.

Google's errors are translated here, at the edge, into :class:`YouTubeError`
messages that say what to do.
"""

from __future__ import annotations

import html
import os
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from monthlypost.config import Settings
from monthlypost.errors import StopAll, YouTubeError
from monthlypost.paths import parse_json
from monthlypost.publish import dig
from monthlypost.publish.youtube.auth import RELOGIN, credentials, token_path
from monthlypost.publish.youtube.quota import READ_UNITS, THUMBNAIL_UNITS, UPDATE_UNITS, Ledger, used_up
from monthlypost.video import DESCRIPTION_MAX_BYTES, TAGS_MAX, TITLE_MAX

if TYPE_CHECKING:
    from googleapiclient.errors import HttpError

API_URL_VARIABLE = "MONTHLYPOST_YOUTUBE_API_URL"
BATCH = 50  # the ids one videos.list takes
RETRIES = 5  # server errors, 429 and rate limits, with exponential backoff
# Every snippet field an update must carry again: one left out is deleted on YouTube.
KEPT_FIELDS = ("title", "categoryId", "tags", "defaultLanguage", "defaultAudioLanguage")
# The status part's mutable fields (the videos resource's reference): an update of the part resets any left out.
STATUS_FIELDS = (
    "privacyStatus",
    "publishAt",
    "license",
    "embeddable",
    "publicStatsViewable",
    "selfDeclaredMadeForKids",
    "containsSyntheticMedia",
)
UNREADABLE = "nothing was changed; try again later, and if it goes on, run with --debug and report it"


# --- The API -----------------------------------------------------------------------------


@dataclass
class Video:
    """A video as read: its snippet, and its translated titles and descriptions by language."""

    id: str
    snippet: dict[str, Any]
    localizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)  # read only when scheduling

    @property
    def privacy(self) -> str:
        return str(self.status.get("privacyStatus", ""))

    @property
    def publish_at(self) -> str | None:
        value = self.status.get("publishAt")
        return str(value) if value else None

    @property
    def description(self) -> str:
        return str(self.snippet.get("description", ""))

    @property
    def thumbnail_url(self) -> str | None:
        """The address of the largest size of the video's thumbnail, as YouTube serves it now."""
        sizes = self.snippet.get("thumbnails")
        if not isinstance(sizes, dict):
            return None
        found = [t for t in sizes.values() if isinstance(t, dict) and isinstance(t.get("url"), str)]
        largest = max(found, key=lambda t: t.get("width") if isinstance(t.get("width"), int) else 0, default=None)
        return str(largest["url"]) if largest else None


class _Counted:
    """The client's HTTP object, charging every request it sends (retries and refused ones too, as
    Google does) before sending it."""

    def __init__(self, http: Any, charge: Callable[[str, str], None]):
        self._http = http
        self._charge = charge

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        self._charge(method, uri)
        return self._http.request(uri, method, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._http, name)


class YouTube:
    """An authorised client for one workspace, counting the units it spends.

    ``ignore_block`` sends requests even though YouTube said earlier today
    that the quota was used up (the user knows it was raised or freed); a
    quotaExceeded in this run blocks again.
    """

    def __init__(self, settings: Settings, state: Path, ignore_block: bool = False):
        self.settings = settings
        self.state = state
        self.ledger = Ledger(state / "youtube-quota.json", settings.youtube.daily_quota)
        self.ignored = self.ledger.blocked() if ignore_block else None
        self.spent = 0
        self._service: Any = None
        self._channel: str | None = None

    @property
    def service(self) -> Any:
        if self._service is None:
            import google_auth_httplib2
            import httplib2
            from googleapiclient.discovery import build

            # credentials() has renewed the login already; a 401 after that means log in again
            http = google_auth_httplib2.AuthorizedHttp(
                credentials(self.settings), http=httplib2.Http(timeout=60), refresh_status_codes=()
            )
            options = {"api_endpoint": os.environ[API_URL_VARIABLE]} if os.environ.get(API_URL_VARIABLE) else None
            self._service = build(
                "youtube",
                "v3",
                http=_Counted(http, self._charge),
                static_discovery=True,
                cache_discovery=False,
                client_options=options,
            )
        return self._service

    def _charge(self, method: str, uri: str) -> None:
        if method == "PUT":
            units = UPDATE_UNITS
        elif method == "POST" and "/thumbnails/set" in uri:
            units = THUMBNAIL_UNITS
        else:
            units = READ_UNITS
        self.ledger.spend(units)
        self.spent += units

    def check_block(self) -> None:
        """Stop before sending anything if YouTube said today that the quota is used up."""
        at = self.ledger.blocked()
        if at is not None and at != self.ignored:
            raise StopAll.at(None, used_up(self.ledger, at, ""))

    def _call(
        self, request: Any, video_id: str | None = None, sent: dict[str, Any] | None = None, action: str = "update"
    ) -> Any:
        from google.auth.exceptions import GoogleAuthError
        from googleapiclient.errors import HttpError
        from httplib2 import HttpLib2Error

        self.check_block()
        try:
            response = request.execute(num_retries=RETRIES)
        except HttpError as err:
            raise self._translate(err, video_id, sent or {}, action) from None
        except GoogleAuthError as err:
            raise StopAll.at(
                token_path(self.settings), f"the YouTube login could not be renewed ({err}); {RELOGIN}"
            ) from None
        except (OSError, HttpLib2Error) as err:
            raise StopAll.at(None, f"cannot reach the YouTube API: {err}") from None
        except (ValueError, RecursionError):  # an answer that is not JSON, or nested too deeply to read
            raise YouTubeError.at(
                None, f"the YouTube API answered in a form that could not be read ({UNREADABLE})"
            ) from None
        except (AttributeError, TypeError, KeyError) as err:
            # googleapiclient's HttpError trips over some error bodies while describing them
            if not any("googleapiclient" in frame.filename for frame in traceback.extract_tb(err.__traceback__)[-1:]):
                raise
            raise YouTubeError.at(
                None, f"the YouTube API answered with an error it did not explain ({UNREADABLE})"
            ) from None
        if self.ignored is not None:
            self.ledger.lift()  # YouTube answers again: the block is over
            self.ignored = None
        return response

    def videos(self, ids: list[str], status: bool = False) -> dict[str, Video]:
        """The videos found among ``ids``, by id (videos.list, parts snippet and localizations, and status when
        asked: 1 unit for each 50). A video missing from the answer does not exist or is private to another
        account."""
        found: dict[str, Video] = {}
        unique = list(dict.fromkeys(ids))
        parts = "snippet,localizations" + (",status" if status else "")
        for start in range(0, len(unique), BATCH):
            chunk = unique[start : start + BATCH]
            request = self.service.videos().list(part=parts, id=",".join(chunk))
            for item in _items(self._call(request, chunk[0] if len(chunk) == 1 else None)):
                video = _video(item)
                if video.id in chunk:
                    found[video.id] = video
        return found

    def video(self, video_id: str, status: bool = False) -> Video:
        """One video, read now (1 unit)."""
        found = self.videos([video_id], status).get(video_id)
        if found is None:
            raise YouTubeError.at(None, self.not_found(video_id))
        return found

    def not_found(self, video_id: str) -> str:
        return (
            f"video {video_id} was not found: it does not exist, or is private to another account "
            f"({self._who()}); check video in topic.toml"
        )

    def update(self, video: Video, description: str, translations: dict[str, str] | None = None) -> None:
        """videos.update (50 units) with every mutable field as it was read and the new description;
        with ``translations``, the localizations too, every one as read but for the new descriptions."""
        snippet = {key: video.snippet[key] for key in KEPT_FIELDS if key in video.snippet}
        if "categoryId" not in snippet and self.settings.youtube.category_id:
            snippet["categoryId"] = self.settings.youtube.category_id
        snippet["description"] = description
        body: dict[str, Any] = {"id": video.id, "snippet": snippet}
        part = "snippet"
        if translations:
            part = "snippet,localizations"
            body["localizations"] = {
                language: {**texts, "description": translations.get(language, texts.get("description", ""))}
                for language, texts in video.localizations.items()
            }
        self._call(self.service.videos().update(part=part, body=body), video.id, snippet)

    def set_thumbnail(self, video_id: str, image: bytes) -> None:
        """thumbnails.set (50 units): the JPEG as the video's thumbnail."""
        from googleapiclient.http import MediaInMemoryUpload

        media = MediaInMemoryUpload(image, mimetype="image/jpeg", resumable=False)
        request = self.service.thumbnails().set(videoId=video_id, media_body=media)
        override = os.environ.get(API_URL_VARIABLE)
        if override:  # the client moves an upload to another API address by its host alone, keeping https
            parts = urlsplit(request.uri)
            request.uri = override.rstrip("/") + urlunsplit(("", "", parts.path, parts.query, ""))
        self._call(request, video_id, action="thumbnail")

    def schedule(self, video: Video, publish_at: str | None) -> None:
        """videos.update of the status part (50 units): the video private, going public at ``publish_at``
        (None: no longer scheduled). A part=status update replaces every mutable field of the part, so each
        one is sent back as read."""
        status = {key: video.status[key] for key in STATUS_FIELDS if key in video.status}
        status["privacyStatus"] = "private"
        if publish_at is None:
            status.pop("publishAt", None)
        else:
            status["publishAt"] = publish_at
        answer = self._call(
            self.service.videos().update(part="status", body={"id": video.id, "status": status}), video.id
        )
        taken = dig(answer, "status", "publishAt")
        if publish_at is not None and (not isinstance(taken, str) or taken.replace(".000Z", "Z") != publish_at):
            # YouTube takes publishAt only for a private video never published: for another it keeps none
            raise YouTubeError.at(
                None,
                f"YouTube did not take the schedule for video {video.id} (it stays private, with no moment): it "
                "schedules only a video that was never public; publish it from YouTube Studio at the moment instead",
            )

    def channel_title(self) -> str | None:
        """The logged-in channel's name (channels.list mine: 1 unit); None for an account without a channel."""
        items = _items(self._call(self.service.channels().list(part="snippet", mine=True)))
        snippet = items[0].get("snippet") if items else None
        return str(snippet.get("title", "")) if isinstance(snippet, dict) else None

    def _who(self) -> str:
        if self._channel is None:
            try:
                title = self.channel_title()
            except StopAll as err:
                self._channel = f"the logged-in channel could not be read: {err.problems[0].message}"
            except YouTubeError:
                self._channel = "the logged-in channel could not be read"
            else:
                self._channel = (
                    f"logged in as the channel '{title}'" if title else "logged in with an account that has no channel"
                )
        return self._channel

    def _translate(self, err: HttpError, video_id: str | None, sent: dict[str, Any], action: str) -> YouTubeError:
        """Google's HttpError as one of ours, saying what to do."""
        status = int(err.resp.status)
        reason, message = _reason(err)
        video = f"video {video_id}" if video_id else "the video"
        if reason in ("quotaExceeded", "dailyLimitExceeded"):
            return StopAll.at(None, used_up(self.ledger, self.ledger.block(), "more "))
        if status == 401:
            return StopAll.at(token_path(self.settings), f"YouTube refused the login (401: {message}); {RELOGIN}")
        if action == "thumbnail" and status == 403 and reason == "forbidden":
            return YouTubeError.at(
                None,
                f"YouTube will not let this channel set a custom thumbnail on {video} (403 forbidden: {message}). "
                "Custom thumbnails need a verified channel: verify it with a phone number at "
                "https://www.youtube.com/verify (it can take a day to apply), then push --thumbnail again; "
                f"if it is verified, check that {video} is on the logged-in channel ({self._who()})",
            )
        if status == 403 and reason in ("forbidden", "insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"):
            return YouTubeError.at(
                None,
                f"YouTube will not let this login change {video} ({self._who()}): it must be on that "
                f"channel. Check video in topic.toml, or {RELOGIN} with the channel's account",
            )
        if status == 404 or reason == "videoNotFound":
            return YouTubeError.at(None, f"{video} was not found on YouTube; check video in topic.toml")
        if reason in REFUSED:
            what, fix = REFUSED[reason]
            rule = _broken_rule(reason, sent)
            return YouTubeError.at(
                None, f"YouTube refused {what} of {video}{rule} ({reason}: {message}); {fix}, then push again"
            )
        if reason in ("invalidVideoMetadata", "defaultLanguageNotSet"):
            return YouTubeError.at(None, f"YouTube refused the update to {video} ({reason}: {message})")
        return YouTubeError.at(None, f"the YouTube API answered {status} {reason or ''}: {message}".replace("  ", " "))


STUDIO = "change it in YouTube Studio"
REFUSED = {  # reason → (what was refused, what to do); every field but the description is sent back as read
    "invalidDescription": ("the new description", "fix the text it comes from"),
    "invalidTitle": ("the title, sent back as it is,", STUDIO),
    "invalidTags": ("the tags, sent back as they are,", "shorten them in YouTube Studio"),
    "invalidImage": ("the thumbnail", "check youtube-thumbnail.jpg, a JPEG of at most 2 MB, and build again"),
    "uploadRateLimitExceeded": ("the thumbnail, as the channel set too many lately,", "wait an hour or so"),
    "invalidCategoryId": (
        "the category, sent back as it is,",
        "choose a category in YouTube Studio (or set [youtube] category_id, used for a video that has none)",
    ),
}


def _broken_rule(reason: str, sent: dict[str, Any]) -> str:
    """Which of the video resource's rules ``sent`` breaks, as ': …', or '' if none that can be seen."""
    found = ""
    if reason == "invalidTitle":
        title = str(sent.get("title") or "")
        if not title.strip():
            found = "the title is empty"
        elif len(title) > TITLE_MAX:
            found = f"the title is {len(title)} characters; YouTube allows {TITLE_MAX}"
        elif "<" in title or ">" in title:
            found = "the title holds < or >, which YouTube does not allow"
    elif reason == "invalidTags":
        tags = [str(tag) for tag in sent.get("tags") or []]
        size = tags_length(tags)
        odd = next((tag for tag in tags if "<" in tag or ">" in tag), None)
        if size > TAGS_MAX:
            found = (
                f"the tags come to {size} characters as YouTube counts them (with a comma between tags, and quotes "
                f"around a tag with a space); YouTube allows {TAGS_MAX}"
            )
        elif odd is not None:
            found = f"the tag '{odd}' holds < or >, which YouTube does not allow"
    elif reason == "invalidDescription":
        text = str(sent.get("description", ""))
        control = next((c for c in text if ord(c) < 32 and c not in "\n\r\t"), None)
        if len(text.encode("utf-8")) > DESCRIPTION_MAX_BYTES:
            found = f"it is {len(text.encode('utf-8'))} bytes; YouTube allows {DESCRIPTION_MAX_BYTES}"
        elif "<" in text or ">" in text:
            found = "it holds < or >, which YouTube does not allow"
        elif control is not None:
            found = f"it holds the control character U+{ord(control):04X}"
    elif reason == "invalidCategoryId":
        found = f"category {sent.get('categoryId')!r} is not one a video can have"
    return f": {found}" if found else ""


def tags_length(tags: list[str]) -> int:
    """Tags' length as YouTube counts it: a comma between tags counts, and quotes around a tag with a space."""
    return sum(len(tag) + (2 if " " in tag else 0) for tag in tags) + max(0, len(tags) - 1)


def _items(response: Any) -> list[dict[str, Any]]:
    """A list response's items; a reply of another shape is an error, not a crash."""
    items = response.get("items", []) if isinstance(response, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise YouTubeError.at(None, f"the YouTube API answered in a form monthlypost does not know ({UNREADABLE})")
    return items


def _video(item: dict[str, Any]) -> Video:
    snippet, localizations, status = item.get("snippet"), item.get("localizations", {}), item.get("status", {})
    if (
        not isinstance(status, dict)
        or not isinstance(item.get("id"), str)
        or not isinstance(snippet, dict)
        or not isinstance(snippet.get("title"), str)
        or not isinstance(localizations, dict)
        or not all(isinstance(texts, dict) for texts in localizations.values())
    ):
        raise YouTubeError.at(None, f"the YouTube API answered in a form monthlypost does not know ({UNREADABLE})")
    return Video(item["id"], dict(snippet), dict(localizations), dict(status))


def _reason(err: HttpError) -> tuple[str, str]:
    """The first error reason and message in Google's JSON error body, as plain text."""
    fallback = str(getattr(err, "reason", "") or getattr(err.resp, "reason", "") or "no reason given")
    try:
        body = parse_json(err.content).get("error")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return "", fallback
    if isinstance(body, str):  # OAuth-style: {"error": "invalid_grant", "error_description": "…"}
        return body, fallback
    if not isinstance(body, dict):
        return "", fallback
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    reason = first.get("reason") or ""
    message = first.get("message") or body.get("message") or fallback
    return str(reason), _plain(str(message))


def _plain(text: str) -> str:
    """Google's message without the HTML it carries (<code>, <a href=…>)."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", text)).split())
