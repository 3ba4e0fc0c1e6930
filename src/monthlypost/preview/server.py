"""The preview's HTTP server: 127.0.0.1 only, serving the page, what the month built, and nothing else.

Routes, matched exactly (a path is decoded once, then must be one of these):

  /                  the preview page (or, after a failed build, its errors)
  /out/NAME          a file the build made: post.html, newsletter.html, an image…
  /events            server-sent events: the build's version, each time it changes
  /assets/NAME       the page's own style and script

Anything else, '..' and encoded tricks included, is a 404. The Host header
must name this server, so another site cannot read the preview through a
DNS name that points at 127.0.0.1.
"""

from __future__ import annotations

import errno
import mimetypes
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import unquote, urlsplit

from monthlypost.errors import MonthlypostError
from monthlypost.preview import PORTS_TRIED, Preview
from monthlypost.preview.page import error_page, page

ASSETS = {"preview.css": "text/css; charset=utf-8", "preview.js": "text/javascript; charset=utf-8"}
KEEP_ALIVE_SECONDS = 15
TYPES = {
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".mjml": "text/plain; charset=utf-8",
    ".eml": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
}


class Server(ThreadingHTTPServer):
    daemon_threads = True  # an open page's event stream never keeps the program from ending
    allow_reuse_address = False

    def __init__(self, preview: Preview, port: int):
        self.preview = preview
        super().__init__(("127.0.0.1", port), Handler)


def start(preview: Preview, port: int) -> Server:
    """A server on the first free port from ``port``, answering in a thread of its own."""
    import threading

    last = min(port + PORTS_TRIED, 65536)  # no port above 65535
    for candidate in range(port, last):
        try:
            server = Server(preview, candidate)
        except OSError as err:
            if err.errno != errno.EADDRINUSE:
                raise MonthlypostError.at(None, f"cannot listen on 127.0.0.1:{candidate}: {err.strerror}") from None
            continue
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server
    taken = f"ports {port} to {last - 1} are all taken" if last - 1 > port else f"port {port} is taken"
    raise MonthlypostError.at(None, f"{taken}; choose another with --port")


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the terminal shows builds, not requests
        pass

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.headers.get("Host") not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            return self.send(HTTPStatus.FORBIDDEN, b"This preview answers only at 127.0.0.1.\n", "text/plain")
        url = urlsplit(self.path)
        path = unquote(url.path)
        snapshot = self.server.preview.snapshot
        if path == "/":
            body = page(snapshot) if snapshot.ok else error_page(snapshot)
            return self.send(HTTPStatus.OK, body.encode("utf-8"), "text/html; charset=utf-8", no_store=True)
        if path == "/events":
            return self.events(snapshot.version)
        if path.startswith("/assets/") and path[len("/assets/") :] in ASSETS:
            name = path[len("/assets/") :]
            data = resources.files("monthlypost.preview").joinpath(name).read_bytes()
            return self.send(HTTPStatus.OK, data, ASSETS[name])
        if path.startswith("/out/") and path[len("/out/") :] in snapshot.files:
            name = path[len("/out/") :]
            data = snapshot.files[name]
            headers = {}
            if name == "newsletter.html" and url.query == "images=off":
                headers["Content-Security-Policy"] = "img-src 'none'"  # as a mail client with images off
            return self.send(HTTPStatus.OK, data, content_type(name), no_store=True, headers=headers)
        return self.send(HTTPStatus.NOT_FOUND, b"Not found: the preview serves only what it built.\n", "text/plain")

    def send(
        self,
        status: HTTPStatus,
        body: bytes,
        kind: str,
        no_store: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if no_store:
            self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def events(self, version: int) -> None:
        """The build's version now, then again each time it changes; a comment now and then to keep it open."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.command == "HEAD":  # the stream's headers only: there is no end of it to wait for
            return
        preview = self.server.preview
        try:
            self.wfile.write(f"retry: 500\ndata: {version}\n\n".encode())
            self.wfile.flush()
            while not preview.stopping.is_set():
                now = preview.wait_for_change(version, KEEP_ALIVE_SECONDS)
                self.wfile.write(f"data: {now}\n\n".encode() if now != version else b": still here\n\n")
                self.wfile.flush()
                version = now
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass  # the page was closed


def content_type(name: str) -> str:
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
