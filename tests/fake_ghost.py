"""A fake Ghost Admin API on 127.0.0.1, written from Ghost's Admin API reference (ghost.org/docs/admin-api).

- Authentication: ``Authorization: Ghost <token>``, a JWT signed HS256 with the Admin API key's secret, its
  header's ``kid`` the key's id, its ``aud`` "/admin/", its ``exp`` at most five minutes after its ``iat``
  and not yet past. A missing header is 403 NoPermissionError; a bad token 401 UnauthorizedError.
- Errors: ``{"errors": [{"message", "context", "type", "details", "property", "help", "code", "id"}]}``.
- Posts: POST /posts/?source=html makes a draft unless a status is given; Ghost turns the HTML into Lexical,
  keeping HTML cards (``<!--kg-card-begin: html-->…<!--kg-card-end: html-->``) as they are and dropping
  what it has no card for, such as a bare iframe. A slug already taken gets ``-2``. custom_excerpt is at most
  300 characters (422 ValidationError). Tags are named, and made when new.
- PUT /posts/{id}/ must carry the ``updated_at`` the post has now: another is 409 UpdateCollisionError
  ("Saving failed! Someone else is editing this post."), and nothing is saved. A status left out stays.
- Images: POST /images/upload/ (multipart: file, purpose, ref) → 201 ``{"images": [{"url", "ref"}]}``.
- Scheduling: status "scheduled" takes a published_at at least two minutes ahead of the site's clock
  (422 ValidationError otherwise); status "draft" takes a scheduled post back.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import itertools
import json
import re
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .loopback import Served

KEY_ID = "6489ab12cd34ef56ab78cd90"
SECRET = "0f" * 32
KEY = f"{KEY_ID}:{SECRET}"
API = "/ghost/api/admin"
_CARD = re.compile(r"<!--kg-card-begin: html-->.*?<!--kg-card-end: html-->", re.DOTALL)


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@dataclass
class FakeGhost(Served):
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)  # url → bytes
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)  # the tokens' payloads, as checked
    versions: list[str | None] = field(default_factory=list)  # Accept-Version of each request
    tags: dict[str, str] = field(default_factory=dict)  # name → id
    before: Any = None  # called with (method, path) as each request arrives

    def __post_init__(self) -> None:
        self.ids = itertools.count(1)
        self.clock = datetime.datetime(2024, 4, 1, 9, 0, tzinfo=datetime.UTC)

    def _now(self) -> str:
        self.clock += datetime.timedelta(seconds=1)
        return self.clock.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def edit_on_site(self, post_id: str, **fields: Any) -> None:
        """What the author does in Ghost's editor: the post changes, and so does its updated_at."""
        self.posts[post_id].update(fields, updated_at=self._now())

    # --- the API ----------------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        kind = handler.headers.get("Content-Type", "")
        body: Any = self._form(raw, kind) if kind.startswith("multipart/") else (json.loads(raw) if raw else None)
        self.requests.append((method, url.path, body))
        self.versions.append(handler.headers.get("Accept-Version"))
        if self.before:
            self.before(method, url.path)
        if not url.path.startswith(API):
            return self._error(handler, 404, "Resource not found", "NotFoundError")
        refused = self._refused(handler.headers.get("Authorization"))
        if refused:
            return self._error(handler, *refused)
        path, query = url.path[len(API) :], parse_qs(url.query)
        if path == "/posts/" and method == "GET":
            return self._send(handler, 200, {"posts": [self._view(p) for p in self.posts.values()][:1], "meta": {}})
        if path == "/posts/" and method == "POST":
            return self._create(handler, body["posts"][0], query)
        if path == "/images/upload/" and method == "POST":
            name = body["file"][0]
            url_of = f"{self.origin}/content/images/2024/04/{name}"
            self.images[url_of] = body["file"][1]
            return self._send(handler, 201, {"images": [{"url": url_of, "ref": body.get("ref")}]})
        found = re.fullmatch(r"/posts/(slug/)?([^/]+)/", path)
        if found:
            by_slug, key = found.groups()
            key = unquote(key)  # a path parameter as the Admin API's router reads it: percent-decoded
            post = next((p for p in self.posts.values() if p["slug"] == key), None) if by_slug else self.posts.get(key)
            if post is None:
                return self._error(handler, 404, "Post not found.", "NotFoundError")
            if method == "GET":
                return self._send(handler, 200, {"posts": [self._view(post)]})
            if method == "PUT" and not by_slug:
                return self._update(handler, post, body["posts"][0], query)
            if method == "DELETE" and not by_slug:
                del self.posts[post["id"]]
                return self._send(handler, 204, None)
        return self._error(handler, 404, "Resource not found", "NotFoundError")

    def _refused(self, header: str | None) -> tuple[int, str, str] | None:
        if not header:
            return 403, "Authorization failed", "NoPermissionError"
        if not header.startswith("Ghost "):
            return 401, "Invalid token: wrong scheme", "UnauthorizedError"
        try:
            head, payload, signature = header[6:].split(".")
            claims_head, claims = json.loads(_b64decode(head)), json.loads(_b64decode(payload))
        except ValueError:
            return 401, "Invalid token", "UnauthorizedError"
        if claims_head.get("alg") != "HS256" or claims_head.get("kid") != KEY_ID:
            return 401, "Unknown Admin API Key", "UnauthorizedError"
        expected = hmac.new(bytes.fromhex(SECRET), f"{head}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_b64decode(signature), expected):
            return 401, "Invalid token: invalid signature", "UnauthorizedError"
        now = datetime.datetime.now(datetime.UTC).timestamp()
        if claims.get("aud") != "/admin/" or claims.get("exp", 0) - claims.get("iat", 0) > 300 or claims["exp"] < now:
            return 401, "Invalid token: jwt expired or aud invalid", "UnauthorizedError"
        self.tokens.append(claims)
        return None

    def _create(self, handler: BaseHTTPRequestHandler, fields: dict[str, Any], query: Any) -> None:
        invalid = self._invalid(fields, creating=True)
        if invalid:
            return self._error(handler, 422, "Validation error, cannot save post.", "ValidationError", invalid)
        post_id = f"{next(self.ids):024x}"
        slug = fields.get("slug") or re.sub(r"[^a-z0-9]+", "-", fields["title"].lower()).strip("-")
        taken = {p["slug"] for p in self.posts.values()}
        base, n = slug, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        post = {"id": post_id, "uuid": f"uuid-{post_id}", "status": "draft", "tags": [], "feature_image": None}
        self.posts[post_id] = post
        self._apply(post, {**fields, "slug": slug}, query)
        return self._send(handler, 201, {"posts": [self._view(post)]})

    def _update(
        self, handler: BaseHTTPRequestHandler, post: dict[str, Any], fields: dict[str, Any], query: Any
    ) -> None:
        if "updated_at" not in fields:
            return self._error(
                handler, 422, "Validation error", "ValidationError", "Value in [posts.updated_at] is required."
            )
        if fields["updated_at"] != post["updated_at"]:
            return self._error(
                handler, 409, "Saving failed! Someone else is editing this post.", "UpdateCollisionError"
            )
        invalid = self._invalid(fields, creating=False)
        if invalid:
            return self._error(handler, 422, "Validation error, cannot edit post.", "ValidationError", invalid)
        self._apply(post, {k: v for k, v in fields.items() if k != "updated_at"}, query)
        return self._send(handler, 200, {"posts": [self._view(post)]})

    def _invalid(self, fields: dict[str, Any], creating: bool) -> str | None:
        if creating and not fields.get("title"):
            return "Value in [posts.title] cannot be blank."
        if fields.get("status") == "scheduled":
            at = str(fields.get("published_at") or "")
            try:
                when = datetime.datetime.fromisoformat(at.replace("Z", "+00:00"))
            except ValueError:
                return "Value in [posts.published_at] is not a date."
            if when < self.clock + datetime.timedelta(minutes=2):
                return "Date must be at least 2 minutes in the future."
        if len(fields.get("custom_excerpt") or "") > 300:
            return "Value in [posts.custom_excerpt] exceeds maximum length of 300 characters."
        return None

    def _apply(self, post: dict[str, Any], fields: dict[str, Any], query: Any) -> None:
        for key, value in fields.items():
            if key == "html":
                if query.get("source") == ["html"]:  # made into Lexical, and rendered back from it
                    post["html"] = self._converted(str(value))
            elif key == "tags":
                post["tags"] = [self._tag(t["name"] if isinstance(t, dict) else str(t)) for t in value]
            else:
                post[key] = value
        post["updated_at"] = self._now()
        post["url"] = f"{self.origin}/p/{post['uuid']}/"

    @staticmethod
    def _converted(html_text: str) -> str:
        """What Ghost's HTML-to-Lexical conversion keeps: HTML cards whole; outside them, no iframe."""
        cards: list[str] = []

        def keep(found: re.Match[str]) -> str:
            cards.append(found.group(0))
            return f"\x00{len(cards) - 1}\x00"

        held = _CARD.sub(keep, html_text)
        held = re.sub(r"<iframe\b.*?</iframe>", "", held, flags=re.DOTALL)
        return re.sub(r"\x00(\d+)\x00", lambda m: cards[int(m.group(1))], held)

    def _tag(self, name: str) -> dict[str, str]:
        if name not in self.tags:
            self.tags[name] = f"{next(self.ids):024x}"
        return {"id": self.tags[name], "name": name, "slug": re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")}

    @staticmethod
    def _view(post: dict[str, Any]) -> dict[str, Any]:
        return dict(post)

    @staticmethod
    def _form(raw: bytes, kind: str) -> dict[str, Any]:
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + raw)
        form: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True)
            form[name] = (filename, payload) if filename else payload.decode()
        return form

    def _error(
        self, handler: BaseHTTPRequestHandler, status: int, message: str, kind: str, context: str | None = None
    ) -> None:
        error = {
            "message": message,
            "context": context,
            "type": kind,
            "details": None,
            "property": None,
            "help": None,
            "code": None,
            "id": "e0e0e0e0",
        }
        return self._send(handler, status, {"errors": [error]})

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data: Any) -> None:
        payload = b"" if data is None else json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
