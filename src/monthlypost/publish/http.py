"""One HTTP client for every mail provider: requests, with retries and errors that say what to do.

requests (with urllib3's Retry) rather than each provider's SDK: one well-kept
client, already installed with the YouTube commands' dependencies, instead of
five SDKs of uneven upkeep. Server errors and rate limits (429, honouring
Retry-After) are retried with exponential backoff. A provider's own
validation message is quoted in the error; the API key never is: it travels
only in a header, and no message, log line or chained traceback holds it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from monthlypost.errors import MonthlypostError

API_URL_VARIABLE = "MONTHLYPOST_EMAIL_API_URL"
KEY_VARIABLE = "MONTHLYPOST_EMAIL_API_KEY"
RETRIES = 4
BACKOFF_SECONDS = 0.5  # 0.5, 1, 2, 4
TIMEOUT_SECONDS = 60
MAX_WAIT_SECONDS = 60


class ProviderError(MonthlypostError):
    """The provider refused or failed; ``status`` is its HTTP status (0 when it could not be reached)."""

    def __init__(self, message: str, status: int = 0, body: Any = None):
        super().__init__(MonthlypostError.at(None, message).problems)
        self.status = status
        self.body = body


def _retry_class() -> type:
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        """Retry-After honoured up to a minute: a provider asking for an hour gets an error, not a hung run."""

        def get_retry_after(self, response: Any) -> float | None:
            wait = super().get_retry_after(response)
            return None if wait is None else min(wait, MAX_WAIT_SECONDS)

    return CappedRetry


class Client:
    """A session for one provider's API: its origin (or MONTHLYPOST_EMAIL_API_URL's), auth, retries."""

    def __init__(self, name: str, origin: str, headers: dict[str, str], auth: tuple[str, str] | None = None):
        import requests
        from requests.adapters import HTTPAdapter

        _Retry = _retry_class()
        self.name = name
        override = os.environ.get(API_URL_VARIABLE)
        if override:  # scheme, host and port from the variable; the paths stay the real API's
            parts = urlsplit(override)
            origin = f"{parts.scheme}://{parts.netloc}"
        self.origin = origin.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "monthlypost", **headers})
        self.session.auth = auth
        self.session.trust_env = not override  # a test server on 127.0.0.1 is reached directly
        retry = _Retry(
            total=RETRIES,
            connect=RETRIES,
            read=0,  # a request whose answer was lost may have been done: not sent twice
            status=RETRIES,
            backoff_factor=BACKOFF_SECONDS,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None,  # every method: a refused or failed request did nothing
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(
        self, method: str, path: str, body: Any = None, explain: Callable[[int, Any], str | None] | None = None
    ) -> tuple[int, Any]:
        """(status, decoded JSON or None) for 2xx and 404; any other answer is a ProviderError."""
        import requests

        try:
            response = self.session.request(method, self.origin + path, json=body, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as err:
            raise ProviderError(f"{self.name}: cannot reach its API ({_reason(err)}); check your connection") from None
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = response.text[:300]
        status = response.status_code
        if 200 <= status < 300 or status == 404:
            return status, data
        message = (explain(status, data) if explain else None) or default_message(self.name, status, data)
        raise ProviderError(message, status, data) from None

    def close(self) -> None:
        self.session.close()


def _reason(err: Exception) -> str:
    text = str(err)
    if "Connection refused" in text:
        return "connection refused"
    if "Max retries" in text and "Retry" in text:
        return "it kept failing after several tries"
    if "timed out" in text.lower():
        return "no answer in time"
    return type(err).__name__


def provider_message(data: Any) -> str:
    """The provider's own words from an error body, in any of the shapes providers use."""
    if isinstance(data, str):
        return data.strip()
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


def default_message(name: str, status: int, data: Any) -> str:
    said = provider_message(data)
    quoted = f": “{said}”" if said else ""
    if status in (401, 403):
        return (
            f"{name} refused the API key ({status}{quoted}); check {KEY_VARIABLE}: "
            "make a new key in the provider's settings if this one was deleted or lacks the rights"
        )
    if status == 429:
        return f"{name} is limiting requests (429{quoted}); wait a few minutes and run the same command again"
    if status >= 500:
        return f"{name} failed on its side ({status}{quoted}), several times; try again later"
    return f"{name} refused the request ({status}{quoted})"
