"""One HTTP client for every service monthlypost publishes to: requests, with the rules that keep a key and a
newsletter where they belong, and an author with exactly one draft.

requests rather than each provider's SDK: one well-kept client, already
installed with the YouTube commands' dependencies, instead of five SDKs of
uneven upkeep. What it adds, in one place:

- **Retries only where they cannot do a thing twice.** A read is retried after
  a server error, a rate limit or a dropped connection. A write (a create, an
  update, a test send) is retried only after a 429, which every provider's
  reference documents as "nothing was done", or when the connection could not
  even be made. A write answered by a server error, a timeout or a dropped
  connection may have been done: it is never sent again, and the error says
  so (``ProviderError.ambiguous``), so the caller can look for what was made.
- **A deadline for the whole answer**, not for each read: a server dripping its
  answer a byte at a time is cut off after ``DEADLINE_SECONDS``.
- **Retry-After honoured up to a minute**; a provider asking for longer gets an
  error at once, with the time to try again.
- **No redirect to another origin**, ever: a key travels in custom headers
  (Kit's X-Kit-Api-Key, Brevo's api-key) that requests does not strip on a
  redirect, and the newsletter would follow too. A redirect within the API's
  own origin is followed for reads.
- **The key never printed**: every message quoting a service passes through
  ``redact``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

from monthlypost.errors import MonthlypostError
from monthlypost.paths import parse_json

API_URL_VARIABLE = "MONTHLYPOST_EMAIL_API_URL"
KEY_VARIABLE = "MONTHLYPOST_EMAIL_API_KEY"
RETRIES = 4
BACKOFF_SECONDS = 0.5  # 0.5, 1, 2, 4
DEADLINE_SECONDS = 60  # one request and its whole answer
CONNECT_SECONDS = 15
MAX_WAIT_SECONDS = 60  # the longest Retry-After waited out
REDIRECTS = 5
READS = frozenset({"GET", "HEAD"})
REDACTED = "[the API key]"


class ProviderError(MonthlypostError):
    """The provider refused or failed. ``status`` is its HTTP status (0 when no answer came); ``ambiguous``
    when a write may have been done although no good answer came back (a timeout, a dropped connection, a
    server error): the caller looks for what it made before making it again."""

    def __init__(self, message: str, status: int = 0, body: Any = None, ambiguous: bool = False):
        super().__init__(MonthlypostError.at(None, message).problems)
        self.status = status
        self.body = body
        self.ambiguous = ambiguous


def api_origin(default: str, variable: str = API_URL_VARIABLE) -> str:
    """The API's scheme, host and port: ``default``, or the variable's when it is set (the tests' fakes)."""
    override = os.environ.get(variable, "").strip()
    if not override:
        return default.rstrip("/")
    try:
        parts = urlsplit(override)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise MonthlypostError.at(
            None, f"{variable}: '{override}' is not an address like https://api.example.com; correct it or unset it"
        )
    return f"{parts.scheme}://{parts.netloc}"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class Client:
    """A session for one service's API: its origin, authentication, and the rules above."""

    def __init__(
        self,
        name: str,
        origin: str,
        headers: dict[str, str],
        auth: Any = None,
        secrets: tuple[str, ...] = (),
        setting: str = f"{KEY_VARIABLE} (and {API_URL_VARIABLE}, if you set it)",
    ):
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.name = name
        self.setting = setting  # what the user sets for this service, named where a refusal or a redirect says so
        self.origin = origin.rstrip("/")
        self.secrets = [s for s in secrets if s]  # a token made per request (Ghost's) is added as it is made
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "monthlypost", **headers})
        self.session.auth = auth
        # a server on this machine (the tests' fakes) is reached directly, whatever proxy the environment names
        self.session.trust_env = urlsplit(self.origin).hostname not in ("127.0.0.1", "localhost", "::1")
        adapter = HTTPAdapter(max_retries=Retry(0, read=False, redirect=False, status=0, raise_on_status=False))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        explain: Callable[[int, Any], str | None] | None = None,
        missing: bool = False,
        doing: str = "",
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> tuple[int, Any]:
        """(status, decoded JSON, or the text, or None) for a 2xx answer, and for a 404 when ``missing``;
        anything else is a ProviderError. ``doing`` says what the request is for, in messages. With
        ``files``, the body is multipart form data: the files, and ``body``'s fields beside them."""
        import requests

        doing = doing or ("reading from its API" if method in READS else "writing to its API")
        url = self.origin + path
        redirects = 0
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            try:
                response = self._send(method, url, body, files)
            except _Late:
                raise ProviderError(
                    self.redact(
                        f"{self.name} sent no complete answer within {DEADLINE_SECONDS} seconds while {doing}"
                        + ("" if method in READS else f"; it may have done it all the same: look in {self.name}")
                    ),
                    ambiguous=method not in READS,
                ) from None
            except requests.RequestException as err:
                unsent = _unsent(err)
                if (unsent or method in READS) and not last:
                    self._pause(attempt, None, doing)
                    continue
                reason = _reason(err)
                if unsent or method in READS:
                    raise ProviderError(
                        f"{self.name}: cannot reach its API ({reason}); check your connection"
                    ) from None
                raise ProviderError(
                    f"{self.name}: the connection broke while {doing} ({reason}); it may have done it all the same",
                    ambiguous=True,
                ) from None
            status = response.status_code
            if status in (301, 302, 303, 307, 308):
                url = self._redirect(response, method, url, doing)
                redirects += 1
                if redirects > REDIRECTS:
                    raise ProviderError(f"{self.name}: its API kept redirecting while {doing}; try again later")
                continue
            data = _decode(response, self.redact)
            if 200 <= status < 300 or (status == 404 and missing):
                return status, data
            retry = status == 429 or (status >= 500 and method in READS)
            if retry and not last:
                self._pause(attempt, response.headers.get("Retry-After"), doing)
                continue
            said = provider_message(data)
            message = (explain(status, data) if explain else None) or default_message(
                self.name, status, said, doing, self.setting
            )
            ambiguous = status >= 500 and method not in READS
            if ambiguous:
                message += f"; it may have done it all the same: look in {self.name}"
            raise ProviderError(self.redact(message), status, data, ambiguous) from None
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _send(self, method: str, url: str, body: Any, files: dict[str, tuple[str, bytes, str]] | None = None) -> Any:
        """One request, its answer read whole within DEADLINE_SECONDS, or _Late. Sent from a thread of its own,
        so a server dripping its answer cannot hold it longer: requests' timeouts apply to each read only."""
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                payload = {"files": files, "data": body} if files else {"json": body}
                box["answer"] = self.session.request(
                    method,
                    url,
                    **payload,
                    timeout=(min(CONNECT_SECONDS, DEADLINE_SECONDS), DEADLINE_SECONDS),
                    allow_redirects=False,
                )
            except BaseException as err:  # noqa: BLE001 - handed over to the calling thread as it is
                box["error"] = err

        worker = threading.Thread(target=work, name=f"monthlypost {self.name} request", daemon=True)
        worker.start()
        worker.join(DEADLINE_SECONDS)
        if worker.is_alive():
            raise _Late
        if "error" in box:
            raise box["error"]
        return box["answer"]

    def _redirect(self, response: Any, method: str, url: str, doing: str) -> str:
        """Where a redirect within the API's own origin leads; one to another origin is an error naming both."""
        target = urljoin(url, response.headers.get("Location", ""))
        here, there = origin_of(url), origin_of(target)
        if here != there:
            raise ProviderError(
                self.redact(
                    f"{self.name}'s API ({_host(url)}) answered with a redirect to another host ({_host(target)}) "
                    f"while {doing}; monthlypost never sends your key or your newsletter on to another host, so "
                    f"nothing went there. Check {self.setting}, and try again later"
                ),
                response.status_code,
            )
        if method not in READS and response.status_code not in (307, 308):
            raise ProviderError(
                f"{self.name}'s API answered {response.status_code} (a redirect that would turn it into another "
                f"request) while {doing}; nothing was sent again; try again later",
                response.status_code,
            )
        return target

    def _pause(self, attempt: int, retry_after: str | None, doing: str) -> None:
        wait = BACKOFF_SECONDS * 2**attempt
        asked = _seconds(retry_after)
        if asked is not None:
            if asked > MAX_WAIT_SECONDS:
                again = time.strftime("%H:%M", time.localtime(time.time() + asked))
                raise ProviderError(
                    f"{self.name} is limiting requests and asks to wait {_duration(asked)} while {doing}; "
                    f"run the same command again after {again}",
                    429,
                )
            wait = max(asked, 0.0)
        time.sleep(wait)

    def close(self) -> None:
        self.session.close()


class _Late(Exception):
    """No complete answer within the deadline."""


def _decode(response: Any, redact: Callable[[str], str]) -> Any:
    """The answer's JSON, or its text; with the key taken out before anything can cut it short or quote it."""
    if not response.content:
        return None
    text = redact(response.content.decode("utf-8", "replace"))
    try:
        return parse_json(text)
    except ValueError:
        return text[:300]


def _unsent(err: Exception) -> bool:
    """Whether the request surely never reached the server: the connection itself could not be made."""
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(err, requests.ConnectTimeout):
        return True
    reason = err.args[0] if err.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError)


def _reason(err: Exception) -> str:
    text = str(err)
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "no answer in time"
    if "Name or service not known" in text or "getaddrinfo" in text:
        return "its name does not resolve"
    return type(err).__name__


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After as seconds from now: a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if retry_after is None:
        return None
    value = retry_after.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.0f} hours"


def provider_message(data: Any) -> str:
    """The provider's own words from an error body, in any of the shapes providers use."""
    if isinstance(data, str):
        return data.strip()[:500]
    if not isinstance(data, dict):
        return ""
    parts: list[str] = []
    for key in ("detail", "message", "title", "error"):
        value = data.get(key)
        if isinstance(value, str) and value.strip() and value.strip() not in parts:
            parts.append(value.strip())
        elif isinstance(value, list):  # [{"loc": [...], "msg": "..."}] and the like
            parts += [str(v.get("msg") or v.get("message") or v) if isinstance(v, dict) else str(v) for v in value]
    errors = data.get("errors")
    if isinstance(errors, list):  # Kit: ["Subject can't be blank"]; Mailchimp: [{"field", "message"}]
        for item in errors:
            if isinstance(item, dict):
                field, text = item.get("field"), item.get("message")
                parts.append(f"{field}: {text}" if field and text else str(text or item))
            else:
                parts.append(str(item))
    elif isinstance(errors, dict):  # MailerLite: {"emails.0.content": ["..."]}
        for field, messages in errors.items():
            listed = messages if isinstance(messages, list) else [messages]
            parts += [f"{field}: {m}" for m in listed]
    return "; ".join(dict.fromkeys(p for p in parts if p))[:500]


def default_message(name: str, status: int, said: str, doing: str, setting: str) -> str:
    quoted = f": “{said}”" if said else ""
    if status in (401, 403):
        return (
            f"{name} refused the API key ({status}{quoted}) while {doing}; check {setting}: make a new key in "
            f"{name}'s settings if this one was deleted or lacks the rights"
        )
    if status == 404:
        return f"{name} has no such thing ({status}{quoted}) while {doing}: it may have been deleted meanwhile"
    if status == 429:
        return f"{name} is limiting requests (429{quoted}); wait a few minutes and run the same command again"
    if status >= 500:
        return f"{name} failed on its side ({status}{quoted}) while {doing}; try again later"
    return f"{name} refused the request ({status}{quoted}) while {doing}"
