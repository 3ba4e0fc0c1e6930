"""A small fake of the YouTube Data API (and Google's token endpoint) on 127.0.0.1.

The real google-api-python-client talks to it, so its request building,
retries and error handling are what the tests exercise. It answers as the
API reference documents, where monthlypost depends on it:

- videos.list answers 200 with the items it has (none for a missing video),
  with the ``localizations`` part when asked for it;
- videos.update replaces every mutable field of the parts it names (one left
  out is deleted), ignores read-only snippet fields, and checks the video
  resource's rules: a title of 1 to 100 characters without < or >; a
  description of at most 5000 bytes without < >, or control characters;
  an assignable category; tags of at most 500 characters counted YouTube's
  way; a default language before localizations;
- errors carry Google's JSON shape: ``code``, ``message`` (with the HTML
  Google puts there), ``status``, and ``errors`` with ``domain``,
  ``reason``, ``location`` and ``locationType``; a refused token is a 401
  UNAUTHENTICATED with a ``WWW-Authenticate`` header;
- every request is charged to a quota (1 unit for a read, 50 for an update,
  retried and refused requests too); once the day's quota is spent every
  request is refused with quotaExceeded until :meth:`FakeGoogle.new_day`;
- thumbnails.set (https://developers.google.com/youtube/v3/docs/thumbnails/set)
  takes the image as the request's body (a "media" upload to
  /upload/youtube/v3/thumbnails/set?videoId=…), costs 50 units, answers a
  ``youtube#thumbnailSetResponse`` with the thumbnail's sizes, and refuses
  as documented: 400 ``mediaBodyRequired`` without an image, 400
  ``invalidImage`` for one that is not a JPEG or PNG, 403 ``forbidden`` for a
  video of another channel or a channel that may not set custom thumbnails
  (an unverified one), 404 ``videoNotFound``. The snippet's ``thumbnails``
  then point at the new image, served (without a login, as i.ytimg.com
  serves them) at /vi/ID/NAME.jpg: at the same addresses as before, as
  YouTube's own are;
- the status part (the videos resource's reference): videos.list gives it
  when asked; videos.update with part=status replaces every mutable field
  of the part, so one left out goes back to its default (license youtube,
  embeddable and publicStatsViewable true, no publishAt, not made for
  kids); publishAt is taken only for a private video that was never public
  (it is ignored for another, as YouTube does, and the answer shows none)
  and one already passed publishes the video at once.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .loopback import Served

ACCESS_TOKEN = "ya29.access-token-SECRET"
REFRESH_TOKEN = "1//refresh-token-SECRET"
READ_ONLY = ("publishedAt", "channelId", "channelTitle", "thumbnails", "liveBroadcastContent", "localized")
MUTABLE = ("title", "description", "categoryId", "tags", "defaultLanguage", "defaultAudioLanguage")
CATEGORIES = {"1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26", "27", "28", "29"}  # assignable
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}

# Google's own wording, HTML included, as the API sends it
QUOTA_MESSAGE = (
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">'
    "quota</a>."
)
MESSAGES = {
    "invalidTitle": "The request metadata specifies an invalid or empty video title.",
    "invalidDescription": "The request metadata specifies an invalid video description.",
    "invalidTags": "The request metadata specifies invalid video keywords.",
    "invalidCategoryId": (
        "The <code>snippet.categoryId</code> property specifies an invalid category ID. Use the "
        '<code><a href="/youtube/v3/docs/videoCategories/list">videoCategories.list</a></code> method to '
        "retrieve supported categories."
    ),
    "defaultLanguageNotSet": (
        "The API request is trying to add localized video details without specifying the default language of "
        "the video details."
    ),
    "videoNotFound": (
        "The video that you are trying to update cannot be found. Check the value of the <code><a "
        'href="/youtube/v3/docs/videos#id">id</a></code> field in the request body to ensure that it is correct.'
    ),
    "forbidden": "The request cannot be completed because you do not have permission to update this video.",
    "mediaBodyRequired": "The request does not include the image content.",
    "invalidImage": "The provided image content is invalid.",
}
NOT_VERIFIED = "The authenticated user doesn't have permissions to upload and set custom video thumbnails."
STATUS_DEFAULTS = {"license": "youtube", "embeddable": True, "publicStatsViewable": True}
# The status part's writable properties, as the videos resource's reference lists them (containsSyntheticMedia,
# the altered or synthetic content disclosure, since 2024): an update of the part resets any one left out.
STATUS_MUTABLE = (
    "privacyStatus",
    "publishAt",
    "license",
    "embeddable",
    "publicStatsViewable",
    "selfDeclaredMadeForKids",
    "containsSyntheticMedia",
)
SIZES = {"default": (120, 90), "medium": (320, 180), "high": (480, 360), "standard": (640, 480), "maxres": (1280, 720)}
LOCATIONS = {
    "invalidTitle": "body.snippet.title",
    "invalidDescription": "body.snippet.description",
    "invalidTags": "body.snippet.tags",
    "invalidCategoryId": "body.snippet.categoryId",
    "defaultLanguageNotSet": "body.snippet.defaultLanguage",
    "videoNotFound": "body.id",
}
DOMAINS = {"quotaExceeded": "youtube.quota", "authError": "global", "backendError": "global"}


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None

    @property
    def ids(self) -> list[str]:
        return self.query.get("id", "").split(",")


@dataclass
class Failure:
    method: str
    path: str
    status: int
    reason: str
    message: str = "failed"
    raw: bytes | None = None  # a body sent as it is, for replies that are not Google's usual shape


@dataclass
class FakeGoogle(Served):
    videos: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → snippet
    localizations: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # id → language → texts
    channel: str | None = "Live Pain Free"
    not_ours: set[str] = field(default_factory=set)  # videos this login may read but not change
    requests: list[Seen] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    on_update: Callable[[], None] | None = None
    on_request: Callable[[Seen], None] | None = None  # called before each API request is answered
    token_grants: list[dict[str, str]] = field(default_factory=list)
    revoked: bool = False
    quota: int = 10_000  # the project's daily quota
    used: int = 0  # units charged today
    exhausted: bool = False  # quotaExceeded until the day ends
    images: dict[str, bytes] = field(default_factory=dict)  # id → the thumbnail image it shows
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → its status part
    were_public: set[str] = field(default_factory=set)  # videos public once: never scheduled again
    custom_thumbnails: bool = True  # whether the channel may set them (a verified one)

    # --- control -------------------------------------------------------------

    def fail(self, method: str, path: str, status: int, reason: str, times: int = 1, message: str = "failed") -> None:
        self.failures += [Failure(method, path, status, reason, message)] * times

    def fail_raw(self, method: str, path: str, status: int, body: bytes) -> None:
        self.failures.append(Failure(method, path, status, "", raw=body))

    def give_thumbnail(self, video_id: str, image: bytes) -> None:
        """The video shows ``image`` as its thumbnail, at addresses on this server."""
        self.images[video_id] = image
        self.videos[video_id]["thumbnails"] = self._thumbnails(video_id)

    def _thumbnails(self, video_id: str) -> dict[str, Any]:
        return {
            name: {"url": f"{self.origin}/vi/{video_id}/{name}.jpg", "width": width, "height": height}
            for name, (width, height) in SIZES.items()
        }

    def new_day(self) -> None:
        self.used, self.exhausted = 0, False

    @property
    def url(self) -> str:
        return self.origin + "/"

    def seen(self, method: str | None = None, path: str = "/youtube/v3/videos") -> list[Seen]:
        return [r for r in self.requests if (method is None or r.method == method) and r.path == path]

    # --- the API ---------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if url.path.startswith("/vi/") and method == "GET":  # a thumbnail image, as i.ytimg.com serves it
            image = self.images.get(url.path.split("/")[2])
            if image is None:
                return self._send_raw(handler, 404, b"", {"Content-Type": "text/html"})
            return self._send_raw(handler, 200, image, {"Content-Type": "image/jpeg"})
        if url.path == "/token":
            body: Any = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        elif url.path.startswith("/upload/"):
            body = raw  # the media itself
        else:
            body = json.loads(raw) if raw else None
        seen = Seen(method, url.path, query, body, handler.headers.get("Authorization"))
        self.requests.append(seen)
        if url.path == "/token":
            return None if self._failed(handler, method, url.path) else self._token(handler, body)

        # Google charges every request it receives, whatever comes of it
        cost = 50 if method == "PUT" or url.path == "/upload/youtube/v3/thumbnails/set" else 1
        if self.exhausted or self.used + cost > self.quota:
            self.exhausted = True
            return self._error(handler, 403, "quotaExceeded", QUOTA_MESSAGE)
        self.used += cost
        if self.on_request:
            self.on_request(seen)
        if self._failed(handler, method, url.path):
            return None
        if handler.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return self._unauthenticated(handler)
        if url.path == "/youtube/v3/videos" and method == "GET":
            return self._send(handler, 200, {"kind": "youtube#videoListResponse", "items": self._list(query)})
        if url.path == "/youtube/v3/videos" and method == "PUT":
            return self._update(handler, query.get("part", "").split(","), body)
        if url.path == "/upload/youtube/v3/thumbnails/set" and method == "POST":
            return self._set_thumbnail(handler, query.get("videoId", ""), body)
        if url.path == "/youtube/v3/channels" and method == "GET":
            items = [{"snippet": {"title": self.channel}}] if self.channel else []
            return self._send(handler, 200, {"items": items})
        return self._error(handler, 404, "notFound", f"no {method} {url.path} here")

    def _list(self, query: dict[str, str]) -> list[dict[str, Any]]:
        parts = query.get("part", "").split(",")
        items = []
        for video_id in query.get("id", "").split(","):
            if video_id not in self.videos:
                continue
            item: dict[str, Any] = {"kind": "youtube#video", "id": video_id}
            if "snippet" in parts:
                item["snippet"] = copy.deepcopy(self.videos[video_id])
            if "localizations" in parts and self.localizations.get(video_id):
                item["localizations"] = copy.deepcopy(self.localizations[video_id])
            if "status" in parts:
                item["status"] = copy.deepcopy(self.status(video_id))
            items.append(item)
        return items

    def status(self, video_id: str) -> dict[str, Any]:
        """The video's status part: a private video that finished processing, unless set otherwise."""
        return self.statuses.setdefault(
            video_id,
            {"uploadStatus": "processed", "privacyStatus": "private", **STATUS_DEFAULTS, "madeForKids": False},
        )

    def _update(self, handler: BaseHTTPRequestHandler, parts: list[str], body: dict[str, Any]) -> None:
        video_id = body["id"]
        if video_id not in self.videos:
            return self._error(handler, 404, "videoNotFound")
        if video_id in self.not_ours:
            return self._error(handler, 403, "forbidden")
        if parts == ["status"]:
            return self._update_status(handler, video_id, body.get("status") or {})
        snippet = {k: v for k, v in body.get("snippet", {}).items() if k in MUTABLE}  # read-only ones are ignored
        wrong = self._wrong(snippet)
        if (
            wrong is None
            and "localizations" in parts
            and body.get("localizations")
            and not snippet.get("defaultLanguage")
        ):
            wrong = "defaultLanguageNotSet"
        if wrong:
            return self._error(handler, 400, wrong)
        if self.on_update:
            self.on_update()
        kept = {k: v for k, v in self.videos[video_id].items() if k in READ_ONLY}
        self.videos[video_id] = {**kept, **copy.deepcopy(snippet)}  # fields left out are gone, as on YouTube
        if "localizations" in parts:
            self.localizations[video_id] = copy.deepcopy(body.get("localizations") or {})
        self._send(handler, 200, {"kind": "youtube#video", "id": video_id, "snippet": self.videos[video_id]})

    def _update_status(self, handler: BaseHTTPRequestHandler, video_id: str, sent: dict[str, Any]) -> None:
        import datetime

        if self.on_update:
            self.on_update()
        before = self.status(video_id)
        status = {key: before[key] for key in ("uploadStatus", "madeForKids") if key in before}
        status.update(STATUS_DEFAULTS)
        status.update({key: sent[key] for key in STATUS_MUTABLE if key in sent})  # the rest is read-only
        status.setdefault("privacyStatus", "private")
        at = status.get("publishAt")
        if at and (status["privacyStatus"] != "private" or video_id in self.were_public):
            del status["publishAt"]  # taken only for a private video never public
        elif at:
            when = datetime.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
            if when <= datetime.datetime.now(datetime.UTC):  # a moment already passed: public at once
                status["privacyStatus"] = "public"
                del status["publishAt"]
        if status["privacyStatus"] != "private":
            self.were_public.add(video_id)
        if "selfDeclaredMadeForKids" in status:
            status["madeForKids"] = bool(status["selfDeclaredMadeForKids"])
        self.statuses[video_id] = status
        self._send(handler, 200, {"kind": "youtube#video", "id": video_id, "status": status})

    def _set_thumbnail(self, handler: BaseHTTPRequestHandler, video_id: str, image: bytes) -> None:
        if video_id not in self.videos:
            return self._error(handler, 404, "videoNotFound")
        if video_id in self.not_ours:
            return self._error(handler, 403, "forbidden", MESSAGES["forbidden"])
        if not self.custom_thumbnails:
            return self._error(handler, 403, "forbidden", NOT_VERIFIED)
        if not image:
            return self._error(handler, 400, "mediaBodyRequired")
        if not image.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
            return self._error(handler, 400, "invalidImage")
        self.give_thumbnail(video_id, image)
        answer = {"kind": "youtube#thumbnailSetResponse", "etag": "etag", "items": [self._thumbnails(video_id)]}
        self._send(handler, 200, answer)

    @staticmethod
    def _wrong(snippet: dict[str, Any]) -> str | None:
        """The reason YouTube gives for the first rule of the video resource the snippet breaks."""
        title = snippet.get("title") or ""
        if not title.strip() or len(title) > 100 or "<" in title or ">" in title:
            return "invalidTitle"
        description = snippet.get("description", "")
        if (
            len(description.encode("utf-8")) > 5000
            or "<" in description
            or ">" in description
            or any(ord(c) < 32 and c not in "\n\r\t" for c in description)
        ):
            return "invalidDescription"
        if snippet.get("categoryId") not in CATEGORIES:
            return "invalidCategoryId"
        tags = snippet.get("tags") or []
        if tags_length(tags) > 500 or any("<" in tag or ">" in tag for tag in tags):
            return "invalidTags"
        return None

    def _failed(self, handler: BaseHTTPRequestHandler, method: str, path: str) -> bool:
        """Whether a failure was asked for this request, and answered."""
        for failure in self.failures:
            if failure.method == method and failure.path == path:
                self.failures.remove(failure)
                if failure.raw is not None:
                    self._send_raw(handler, failure.status, failure.raw)
                else:
                    self._error(handler, failure.status, failure.reason, failure.message)
                return True
        return False

    def _token(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        self.token_grants.append(form)
        if self.revoked:
            return self._send(
                handler, 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            )
        answer = {
            "access_token": ACCESS_TOKEN,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
        }
        if form.get("grant_type") == "authorization_code":
            answer["refresh_token"] = REFRESH_TOKEN
        self._send(handler, 200, answer)

    def _unauthenticated(self, handler: BaseHTTPRequestHandler) -> None:
        self._error(
            handler,
            401,
            "authError",
            "Invalid Credentials",
            top=(
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                "other valid authentication credential. See https://developers.google.com/identity/sign-in/web/"
                "devconsole-project."
            ),
            location=("Authorization", "header"),
            headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
        )

    def _error(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        reason: str,
        message: str | None = None,
        top: str | None = None,
        location: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        message = message or MESSAGES.get(reason, "failed")
        error: dict[str, Any] = {"message": message, "domain": DOMAINS.get(reason, "youtube.video"), "reason": reason}
        if location or reason in LOCATIONS:
            error["location"], error["locationType"] = location or (LOCATIONS[reason], "other")
        body = {"error": {"code": status, "message": top or message, "errors": [error]}}
        if status in STATUS:
            body["error"]["status"] = STATUS[status]
        self._send(handler, status, body, headers)

    @classmethod
    def _send(
        cls, handler: BaseHTTPRequestHandler, status: int, data: Any, headers: dict[str, str] | None = None
    ) -> None:
        cls._send_raw(handler, status, json.dumps(data).encode(), headers)

    @staticmethod
    def _send_raw(
        handler: BaseHTTPRequestHandler, status: int, payload: bytes, headers: dict[str, str] | None = None
    ) -> None:
        handler.send_response(status)
        headers = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)


def tags_length(tags: list[str]) -> int:
    """The tags' length as YouTube counts it: commas between tags count, and quotes around a tag with a space."""
    return sum(len(tag) + (2 if " " in tag else 0) for tag in tags) + max(0, len(tags) - 1)
