"""The one way the fake services listen: an HTTP server on 127.0.0.1 in a thread of the test process."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Loopback:
    """A fake service's server: each request, whatever its method, goes to ``answer(handler, method)``."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, str], None], tls: ssl.SSLContext | None = None):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _any(self) -> None:
                answer(self, self.command)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def origin(self) -> str:
        scheme = "https" if isinstance(self.server.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://127.0.0.1:{self.server.server_address[1]}"


class Served:
    """A fake service: ``start()`` serves its ``_handle(handler, method)`` on 127.0.0.1 until ``stop()``."""

    server: Loopback | None = None

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        raise NotImplementedError

    def start(self, tls: ssl.SSLContext | None = None) -> Any:
        self.server = Loopback(self._handle, tls)
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    @property
    def origin(self) -> str:
        assert self.server is not None
        return self.server.origin
