"""A gateway on 127.0.0.1 in front of a real service (the test WordPress), as hosting puts a proxy or a CDN
in front of a site: it passes requests on, and can misbehave as broken or hostile ones do."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import requests

from .loopback import Served


@dataclass
class Gateway(Served):
    target: str  # the service's origin
    redirect: str | None = None  # answer the next request with a 307 to this address, passing nothing on
    then_fail: list[str] = field(default_factory=list)  # the next writes: passed on, then "504" or "drop"
    fail_on: str = ""  # …only writes whose address holds this
    echo_headers: bool = False  # an error from the service comes back quoting the request's headers
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        self.seen.append((method, handler.path, headers))
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        if self.redirect:
            target, self.redirect = self.redirect, None
            return self._answer(handler, 307, b"", {"Location": target})
        answer = requests.request(
            method, self.target + handler.path, data=body, headers=headers, allow_redirects=False, timeout=60
        )
        if method != "GET" and self.then_fail and self.fail_on in handler.path:
            how = self.then_fail.pop(0)
            if how == "drop":
                handler.close_connection = True
                return None
            return self._answer(handler, int(how), b"<html><body>504 Gateway Time-out</body></html>", {})
        content = answer.content
        if self.echo_headers and answer.status_code >= 400:
            content = content.rstrip(b"}") + f', "request_headers": "{headers}"}}'.encode()
        kept = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "location")}
        return self._answer(handler, answer.status_code, content, kept)

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, content: bytes, headers: dict[str, Any]) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)
