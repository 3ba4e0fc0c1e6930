"""A small fake of the YouTube Data API (and Google's token endpoint) on 127.0.0.1.

The real google-api-python-client talks to it, so its request building,
retries and error handling are what the tests exercise. It behaves like
YouTube where monthlypost depends on it: videos.list answers 200 with empty
items for a missing video; videos.update replaces the whole snippet, so a
mutable field the request leaves out is deleted, and it refuses < and > in
a description.
"""

from __future__ import annotations

import copy
import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCESS_TOKEN = "ya29.access-token-SECRET"
REFRESH_TOKEN = "1//refresh-token-SECRET"
READ_ONLY = ("publishedAt", "channelId", "channelTitle", "thumbnails", "liveBroadcastContent", "localized")


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None


@dataclass
class Failure:
    method: str
    path: str
    status: int
    reason: str
    message: str = "failed"
    raw: bytes | None = None  # a body sent as it is, for replies that are not Google's usual shape


@dataclass
class FakeGoogle:
    videos: dict[str, dict[str, Any]] = field(default_factory=dict)
    channel: str | None = "Live Pain Free"
    not_ours: set[str] = field(default_factory=set)  # videos this login may read but not change
    requests: list[Seen] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    on_update: Callable[[], None] | None = None
    token_grants: list[dict[str, str]] = field(default_factory=list)
    revoked: bool = False

    def __post_init__(self) -> None:
        self.server: ThreadingHTTPServer | None = None

    # --- control -------------------------------------------------------------

    def fail(self, method: str, path: str, status: int, reason: str, times: int = 1, message: str = "failed") -> None:
        self.failures += [Failure(method, path, status, reason, message)] * times

    def fail_raw(self, method: str, path: str, status: int, body: bytes) -> None:
        self.failures.append(Failure(method, path, status, "", raw=body))

    def start(self, tls: ssl.SSLContext | None = None) -> FakeGoogle:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_PUT(self) -> None:
                fake._handle(self, "PUT")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        assert self.server is not None
        scheme = "https" if isinstance(self.server.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://127.0.0.1:{self.server.server_address[1]}/"

    def seen(self, method: str | None = None, path: str = "/youtube/v3/videos") -> list[Seen]:
        return [r for r in self.requests if (method is None or r.method == method) and r.path == path]

    # --- the API ---------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if url.path == "/token":
            body: Any = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        else:
            body = json.loads(raw) if raw else None
        self.requests.append(Seen(method, url.path, query, body, handler.headers.get("Authorization")))

        for failure in self.failures:
            if failure.method == method and failure.path == url.path:
                self.failures.remove(failure)
                if failure.raw is not None:
                    return self._send_raw(handler, failure.status, failure.raw)
                return self._error(handler, failure.status, failure.reason, failure.message)
        if url.path == "/token":
            return self._token(handler, body)
        if handler.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return self._error(handler, 401, "authError", "Invalid Credentials")
        if url.path == "/youtube/v3/videos" and method == "GET":
            ids = query.get("id", "").split(",")
            items = [{"kind": "youtube#video", "id": i, "snippet": self.videos[i]} for i in ids if i in self.videos]
            return self._send(handler, 200, {"kind": "youtube#videoListResponse", "items": items})
        if url.path == "/youtube/v3/videos" and method == "PUT":
            return self._update(handler, body)
        if url.path == "/youtube/v3/channels" and method == "GET":
            items = [{"snippet": {"title": self.channel}}] if self.channel else []
            return self._send(handler, 200, {"items": items})
        return self._error(handler, 404, "notFound", f"no {method} {url.path} here")

    def _update(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        video_id, snippet = body["id"], body["snippet"]
        if video_id not in self.videos:
            return self._error(
                handler, 404, "videoNotFound", "The video that you are trying to update cannot be found."
            )
        if video_id in self.not_ours:
            return self._error(handler, 403, "forbidden", "The request cannot be completed.")
        if not snippet.get("title") or not snippet.get("categoryId"):
            return self._error(handler, 400, "invalidTitle", "title and categoryId are required")
        if "<" in snippet.get("description", "") or ">" in snippet.get("description", ""):
            return self._error(
                handler, 400, "invalidDescription", "The request metadata specifies an invalid video description."
            )
        if self.on_update:
            self.on_update()
        kept = {k: v for k, v in self.videos[video_id].items() if k in READ_ONLY}
        self.videos[video_id] = {**kept, **copy.deepcopy(snippet)}  # fields left out are gone, as on YouTube
        self._send(handler, 200, {"kind": "youtube#video", "id": video_id, "snippet": self.videos[video_id]})

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

    def _error(self, handler: BaseHTTPRequestHandler, status: int, reason: str, message: str) -> None:
        domain = "youtube.quota" if reason == "quotaExceeded" else "youtube.video"
        self._send(
            handler,
            status,
            {
                "error": {
                    "code": status,
                    "message": message,
                    "errors": [{"message": message, "domain": domain, "reason": reason}],
                }
            },
        )

    @classmethod
    def _send(cls, handler: BaseHTTPRequestHandler, status: int, data: Any) -> None:
        cls._send_raw(handler, status, json.dumps(data).encode())

    @staticmethod
    def _send_raw(handler: BaseHTTPRequestHandler, status: int, payload: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=UTF-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
