"""Fakes of five mail providers' APIs on 127.0.0.1, answering as their API references document.

Each checks its own authentication (Kit's X-Kit-Api-Key, Buttondown's
"Authorization: Token", Mailchimp's HTTP Basic with the key as password,
Brevo's api-key, MailerLite's Bearer token), keeps drafts in memory, and
answers with its own status codes and error bodies:

  Kit v4          {"errors": ["..."]}                      401, 404, 422
  Buttondown      {"code": "...", "detail": "..."}          401, 404, 400
  Mailchimp 3.0   problem+json {type, title, status, detail, instance, errors}
  Brevo v3        {"code": "...", "message": "..."}         401, 404, 400
  MailerLite      {"message": "...", "errors": {field: [...]}}  401, 404, 422

Tests can fail the next N requests with a status, mark a draft sent or
scheduled as the provider's app would, delete one, and read every request.
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from .loopback import Served

KEYS = {
    "kit": "kit_v4_key_SECRET",
    "buttondown": "bd-token-SECRET",
    "mailchimp": "0123456789abcdefSECRET-us21",
    "brevo": "xkeysib-SECRET",
    "mailerlite": "ml-jwt-SECRET",
}


@dataclass
class Seen:
    method: str
    path: str
    body: Any


@dataclass
class FakeMail(Served):
    provider: str
    drafts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses for the next requests
    lists: set[str] = field(default_factory=lambda: {"abc123", "7", "42"})
    advanced_plan: bool = True  # MailerLite: custom HTML content
    templates: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": 2, "name": "Classic", "is_default": True, "category": "Classic"},
            {"id": 6, "name": "monthlypost", "is_default": False, "category": "Custom HTML"},
        ]
    )
    tests_sent: list[list[str]] = field(default_factory=list)
    odd_reads: list[Any] = field(default_factory=list)  # JSON answers (200) to the next GETs, of any shape

    def __post_init__(self) -> None:
        self.ids = itertools.count(101)

    # --- control ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.origin

    def only(self) -> tuple[str, dict[str, Any]]:
        (item,) = self.drafts.items()
        return item

    def writes(self) -> list[Seen]:
        return [r for r in self.requests if r.method != "GET"]

    def mark_sent(self, draft_id: str) -> None:
        """What the provider's app does when the author sends (or schedules) the draft."""
        draft = self.drafts[draft_id]
        if self.provider == "kit":
            draft["send_at"] = "2024-04-02T09:00:00Z"
        elif self.provider == "mailchimp":
            draft["status"] = "sent"
        elif self.provider == "mailerlite":
            draft["status"] = "ready"
        elif self.provider == "buttondown":
            draft["status"] = "scheduled"
        else:
            draft["status"] = "sent"

    # --- the APIs --------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        self.requests.append(Seen(method, url.path, body))
        if self.failures:
            status = self.failures.pop(0)
            return self._error(handler, status, "Internal error" if status >= 500 else "Too many requests")
        if not self._authorised(handler):
            return self._error(handler, 401, "unauthorised")
        if method == "GET" and self.odd_reads:
            return self._send(handler, 200, self.odd_reads.pop(0))
        route = getattr(self, f"_{self.provider}")
        route(handler, method, url.path, body)

    def _authorised(self, handler: BaseHTTPRequestHandler) -> bool:
        key = KEYS[self.provider]
        headers = handler.headers
        if self.provider == "kit":
            return headers.get("X-Kit-Api-Key") == key
        if self.provider == "buttondown":
            return headers.get("Authorization") == f"Token {key}"
        if self.provider == "mailchimp":
            given = headers.get("Authorization", "")
            if not given.startswith("Basic "):
                return False
            _, _, password = base64.b64decode(given[6:]).decode().partition(":")
            return password == key
        if self.provider == "brevo":
            return headers.get("api-key") == key
        return headers.get("Authorization") == f"Bearer {key}"

    def _new_id(self) -> str:
        return str(next(self.ids))

    def _found(self, handler: BaseHTTPRequestHandler, path: str, prefix: str) -> str | None:
        draft_id = path[len(prefix) :].split("/")[0]
        if draft_id not in self.drafts:
            self._error(handler, 404, "not found")
            return None
        return draft_id

    # Kit v4 -------------------------------------------------------------------------------------------

    def _kit(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any) -> None:
        if path == "/v4/email_templates" and method == "GET":
            return self._send(handler, 200, {"email_templates": self.templates, "pagination": {"has_next_page": False}})
        if path == "/v4/broadcasts" and method == "POST":
            if not body.get("subject"):
                return self._error(handler, 422, "Subject can't be blank")
            if body.get("email_template_id") not in [t["id"] for t in self.templates]:
                return self._error(handler, 422, "Email template not found")
            draft_id = self._new_id()
            self.drafts[draft_id] = {**body, "id": int(draft_id), "send_at": body.get("send_at")}
            return self._send(handler, 201, {"broadcast": self._kit_view(draft_id)})
        if path.startswith("/v4/broadcasts/"):
            draft_id = self._found(handler, path, "/v4/broadcasts/")
            if draft_id is None:
                return None
            if method == "GET":
                return self._send(handler, 200, {"broadcast": self._kit_view(draft_id)})
            if method == "PUT":
                self.drafts[draft_id].update(body)
                return self._send(handler, 200, {"broadcast": self._kit_view(draft_id)})
        return self._error(handler, 404, "Not Found")

    def _kit_view(self, draft_id: str) -> dict[str, Any]:
        draft = self.drafts[draft_id]
        view = {k: v for k, v in draft.items() if k != "email_template_id"}
        view["email_template"] = {"id": draft.get("email_template_id"), "name": "monthlypost"}
        return view

    # Buttondown v1 ------------------------------------------------------------------------------------

    def _buttondown(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any) -> None:
        if path == "/v1/emails" and method == "POST":
            if str(body.get("body", "")).lstrip().startswith("---"):
                return self._error(
                    handler, 400, "The body of this email starts with front matter.", "body_front_matter"
                )
            if body.get("status") != "draft":  # what an older API version would do: send it
                return self._error(handler, 400, "This test fake refuses anything but a draft.", "not_a_draft")
            draft_id = f"0c0ffee0-0000-4000-8000-{self._new_id():0>12}"
            self.drafts[draft_id] = {**body, "id": draft_id}
            return self._send(handler, 201, self.drafts[draft_id])
        if path.startswith("/v1/emails/"):
            draft_id = self._found(handler, path, "/v1/emails/")
            if draft_id is None:
                return None
            if path.endswith("/send-draft") and method == "POST":
                self.tests_sent.append(list(body["recipients"]))
                return self._send(handler, 200, {})
            if method == "GET":
                return self._send(handler, 200, self.drafts[draft_id])
            if method == "PATCH":
                if self.drafts[draft_id]["status"] != "draft":
                    return self._error(handler, 400, "You can only edit drafts.", "email_not_draft")
                self.drafts[draft_id].update(body)
                return self._send(handler, 200, self.drafts[draft_id])
        return self._error(handler, 404, "Not found.")

    # Mailchimp Marketing 3.0 -----------------------------------------------------------------------------

    def _mailchimp(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any) -> None:
        if path == "/3.0/campaigns" and method == "POST":
            list_id = (body.get("recipients") or {}).get("list_id")
            if list_id not in self.lists:
                return self._error(
                    handler,
                    400,
                    "The resource submitted could not be validated.",
                    "Invalid Resource",
                    [{"field": "recipients.list_id", "message": "List does not exist."}],
                )
            draft_id = f"c{self._new_id()}"
            self.drafts[draft_id] = {"id": draft_id, "type": body["type"], "status": "save", **body}
            return self._send(handler, 200, self.drafts[draft_id])
        if path.startswith("/3.0/campaigns/"):
            draft_id = self._found(handler, path, "/3.0/campaigns/")
            if draft_id is None:
                return None
            draft = self.drafts[draft_id]
            if path.endswith("/content") and method == "PUT":
                if draft["status"] != "save":
                    return self._error(handler, 400, "This campaign cannot be edited.", "Bad Request")
                draft["content"] = body
                return self._send(handler, 200, {"html": body["html"], "plain_text": body.get("plain_text")})
            if path.endswith("/actions/test") and method == "POST":
                self.tests_sent.append(list(body["test_emails"]))
                return self._send(handler, 204, None)
            if method == "GET":
                return self._send(handler, 200, {k: v for k, v in draft.items() if k != "content"})
            if method == "PATCH":
                if draft["status"] != "save":
                    return self._error(handler, 400, "This campaign cannot be edited.", "Bad Request")
                draft["settings"] = {**draft.get("settings", {}), **body.get("settings", {})}
                draft["recipients"] = body.get("recipients", draft.get("recipients"))
                return self._send(handler, 200, draft)
        return self._error(handler, 404, "The requested resource could not be found.", "Resource Not Found")

    # Brevo v3 -----------------------------------------------------------------------------------------------

    def _brevo(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any) -> None:
        if path == "/v3/emailCampaigns" and method == "POST":
            for required in ("name", "sender", "htmlContent", "subject"):
                if not body.get(required):
                    return self._error(handler, 400, f"{required} is missing", "missing_parameter")
            list_ids = [str(i) for i in (body.get("recipients") or {}).get("listIds", [])]
            if not list_ids or any(i not in self.lists for i in list_ids):
                return self._error(handler, 400, "List ids are not valid", "invalid_parameter")
            draft_id = self._new_id()
            self.drafts[draft_id] = {**body, "id": int(draft_id), "status": "draft"}
            return self._send(handler, 201, {"id": int(draft_id)})
        if path.startswith("/v3/emailCampaigns/"):
            draft_id = self._found(handler, path, "/v3/emailCampaigns/")
            if draft_id is None:
                return None
            if path.endswith("/sendTest") and method == "POST":
                self.tests_sent.append(list(body["emailTo"]))
                return self._send(handler, 204, None)
            if method == "GET":
                return self._send(handler, 200, self.drafts[draft_id])
            if method == "PUT":
                if self.drafts[draft_id]["status"] != "draft":
                    return self._error(handler, 400, "Campaign cannot be updated", "not_enough_permissions")
                self.drafts[draft_id].update(body)
                return self._send(handler, 204, None)
        return self._error(handler, 404, "Campaign ID does not exist", "document_not_found")

    # MailerLite ----------------------------------------------------------------------------------------------

    def _mailerlite(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any) -> None:
        writes = (path == "/api/campaigns" and method == "POST") or (
            path.startswith("/api/campaigns/") and method == "PUT"
        )
        if writes:
            if not self.advanced_plan and body["emails"][0].get("content"):
                return self._error(
                    handler,
                    422,
                    "The given data was invalid.",
                    errors={"emails.0.content": ["Content submission is only available on the Advanced plan."]},
                )
            if body.get("groups") and str(body["groups"][0]) not in self.lists:
                return self._error(
                    handler,
                    422,
                    "The given data was invalid.",
                    errors={"groups.0": ["The selected groups.0 is invalid."]},
                )
        if path == "/api/campaigns" and method == "POST":
            draft_id = self._new_id() + "000"
            self.drafts[draft_id] = {**body, "id": draft_id, "status": "draft"}
            return self._send(handler, 201, {"data": self.drafts[draft_id]})
        if path.startswith("/api/campaigns/"):
            draft_id = self._found(handler, path, "/api/campaigns/")
            if draft_id is None:
                return None
            if method == "GET":
                return self._send(handler, 200, {"data": self.drafts[draft_id]})
            if method == "PUT":
                if self.drafts[draft_id]["status"] != "draft":
                    return self._error(handler, 422, "Only draft campaigns can be updated.")
                self.drafts[draft_id].update(body)
                return self._send(handler, 200, {"data": self.drafts[draft_id]})
        return self._error(handler, 404, "Resource not found.")

    # --- answers ---------------------------------------------------------------------------------------------

    def _error(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        message: str,
        code: str | None = None,
        errors: Any = None,
    ) -> None:
        if self.provider == "kit":
            said = "The access token is invalid" if status == 401 else message
            return self._send(handler, status, {"errors": [said]})
        if self.provider == "buttondown":
            said = "Invalid token." if status == 401 else message
            return self._send(handler, status, {"code": code or "error", "detail": said})
        if self.provider == "mailchimp":
            title = "API Key Invalid" if status == 401 else (code or "Error")
            detail = (
                "Your API key may be invalid, or you've attempted to access the wrong datacenter."
                if (status == 401)
                else message
            )
            problem = {
                "type": "https://mailchimp.com/developer/marketing/docs/errors/",
                "title": title,
                "status": status,
                "detail": detail,
                "instance": "0000-1111",
            }
            if errors:
                problem["errors"] = errors
            return self._send(handler, status, problem, "application/problem+json")
        if self.provider == "brevo":
            said = "Key not found" if status == 401 else message
            return self._send(
                handler, status, {"code": "unauthorized" if status == 401 else (code or "error"), "message": said}
            )
        said = "Unauthenticated." if status == 401 else message
        return self._send(handler, status, {"message": said, **({"errors": errors} if errors else {})})

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data: Any, kind: str = "application/json") -> None:
        payload = b"" if data is None else json.dumps(data).encode()
        handler.send_response(status)
        if status == 429:
            handler.send_header("Retry-After", "0")
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
