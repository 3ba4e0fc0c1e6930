"""Fakes of five mail providers' APIs on 127.0.0.1, written from their references, not from our adapters.

Each checks its own authentication (Kit's X-Kit-Api-Key, Buttondown's
"Authorization: Token", Mailchimp's HTTP Basic with the key as password,
Brevo's api-key, MailerLite's Bearer token), keeps drafts in memory, refuses
what the real API refuses with its status codes and error bodies, resets what
a real update resets, and can say what a subscriber would receive
(``delivered``): the draft inside whatever the provider puts around it, with
its merge tags filled in.

  Kit v4          {"errors": ["..."]}                          401, 404, 422
      developers.kit.com/v4 (broadcasts, email templates); Kit's help article "Troubleshooting: HTML email
      templates" (a custom HTML template must hold {{ message_content }} and {{ unsubscribe_url }} or
      {{ unsubscribe_link }}); Kit/ConvertKitSDK-PHP update_broadcast (email_address and email_template_id
      left out: the account's defaults). A PUT replaces the broadcast's fields: one it leaves out is reset
      (subscriber_filter: all subscribers). A POST without a template uses the account's default template.
  Buttondown v1   {"code": "...", "detail": "..."}              401, 404, 400
      buttondown/docs public/openapi.json (EmailInput: status defaults to about_to_send, which sends;
      template classic, modern, plaintext, naked); its naked-mode page (naked needs {{ unsubscribe_url }} in
      the body) and designing-your-email page (Classic and Modern wrap the body with a header and a colophon
      holding the unsubscribe link; Modern shows the description).
  Mailchimp 3.0   problem+json {type, title, status, detail, instance, errors}
      mailchimp.com/developer/marketing/api/campaigns (PATCH requires settings.subject_line, from_name,
      reply_to; recipients, when sent, replaces the audience and its segment whole); its help page "About
      email campaign footers" (an email without *|UNSUB|* gets an extra footer).
  Brevo v3        {"code": "...", "message": "..."}              401, 404, 400
      developers.brevo.com (email campaigns; sendTest reaches only existing contacts on a list, 50 a day,
      and its 400 lists unexistingEmails, withoutListEmails, blackListedEmails, as brevo-python's
      PostSendFailed); an update's recipients replaces lists and exclusions whole.
  MailerLite      {"message": "...", "errors": {field: [...]}}  401, 404, 422
      developers.mailerlite.com (campaigns: emails.*.from and reply_to must be verified senders; custom
      HTML content on the Advanced plan) and mailerlite-python's recorded requests (an update carries no
      groups and no type). HTML lacking the unsubscribe tag and the account's name, address and country
      tags gets MailerLite's default footer; an update's groups without segments drops the segments.

Scheduling, as each reference gives it: Kit, a PUT with send_at (null: a draft again; a scheduled broadcast
can still be edited, a sent one cannot); Buttondown, a PATCH with status "scheduled" and publish_date (or
"draft"); Mailchimp, POST actions/schedule with schedule_time on a quarter-hour only (a paid-plan feature:
403 on a free account) after its send checklist (GET send-checklist: is_ready and items), and
actions/unschedule; Brevo, a PUT with scheduledAt (the campaign is then "queued"), and PUT status "draft";
MailerLite, POST schedule with delivery "scheduled" and schedule.{date, hours, minutes, timezone_id} (its
ids from GET /api/timezones; the campaign is then "ready"), and POST cancel.

Tests can fail the next requests with a status, have the provider act and then fail (a gateway error, a
dropped connection, an answer too late, an answer without the id), answer with a redirect or a dripped
answer, quote the request's headers in its errors as a broken provider would, mark a draft sent as the
provider's app would, delete one, and read every request.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .loopback import Served

KEYS = {
    "kit": "kit_v4_key_SECRET",
    "buttondown": "bd-token-SECRET",
    "mailchimp": "0123456789abcdefSECRET-us21",
    "brevo": "xkeysib-SECRET",
    "mailerlite": "ml-jwt-SECRET",
}
UNSUBSCRIBE = "https://unsubscribe.example/u/SUBSCRIBER"  # what each provider puts in for its merge tag
ACCOUNT = {"name": "Live Pain Free LLC", "address": "9 Provider Road, Springfield", "country": "United States"}
KIT_ALL_SUBSCRIBERS = [{"all": [{"type": "all_subscribers"}], "any": None, "none": None}]
KIT_CLASSIC = (
    "<!DOCTYPE html><html><body><div class='kit-header'>Kit Classic</div>{{ message_content }}"
    "<div class='kit-footer'>{{ address }}<br><a href='{{ unsubscribe_url }}'>Unsubscribe</a></div></body></html>"
)


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class FakeMail(Served):
    provider: str
    drafts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses for the next requests
    retry_after: str = "0"  # what a 429 says
    lists: set[str] = field(default_factory=lambda: {"abc123", "7", "42"})
    advanced_plan: bool = True  # MailerLite: custom HTML content
    verified: set[str] = field(default_factory=lambda: {"patrick@patricklerouge.com"})  # senders, lower case
    templates: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": 2, "name": "Classic", "is_default": True, "category": "Classic", "html": KIT_CLASSIC},
        ]
    )
    contacts: dict[str, list[int]] = field(default_factory=dict)  # Brevo: email → the lists it is on
    blocklisted: set[str] = field(default_factory=set)  # Brevo
    tests_sent: list[list[str]] = field(default_factory=list)
    odd_reads: list[Any] = field(default_factory=list)  # answers (200) to the next GETs: JSON of any shape, or bytes
    then_fail: list[str] = field(default_factory=list)  # next writes: act, then "ok", "504", "drop", "late", "no-id"
    late_seconds: float = 3.0
    redirect: str | None = None  # answer the next request with a 307 to this address
    echo_headers: bool = False  # quote the request's headers in error bodies, as a broken provider would
    drip_seconds: float = 0.0  # send the next answer a byte at a time, this far apart (for 5 s, then hang up)
    before: Any = None  # called with (method, path) as each request arrives: what the app does meanwhile
    after_store: Any = None  # called after each write is stored, before it is answered
    paid: bool = True  # Mailchimp: scheduling is a paid-plan feature
    checklist: list[dict[str, str]] = field(default_factory=list)  # Mailchimp: the send checklist's errors
    TIMEZONES = ({"id": 1, "name": "UTC", "offset": 0}, {"id": 91, "name": "Europe/London", "offset": 0})

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

    def add_kit_template(self, name: str, source: str) -> int:
        """An HTML template made in Kit's editor; Kit refuses one without the content or an unsubscribe link."""
        if "{{ message_content }}" not in source:
            raise ValueError("Kit: Your email template may be missing the {{ message_content }} variable.")
        if "{{ unsubscribe_url }}" not in source and "{{ unsubscribe_link }}" not in source:
            raise ValueError("Kit: Your template must have a functioning unsubscribe link to be valid.")
        template_id = 6 + len(self.templates)
        self.templates.append(
            {"id": template_id, "name": name, "is_default": False, "category": "Custom HTML", "html": source}
        )
        return template_id

    def mark_sent(self, draft_id: str) -> None:
        """What the provider's app does when the author sends (or schedules) the draft."""
        draft = self.drafts[draft_id]
        if self.provider == "kit":
            draft["send_at"] = "2024-04-02T09:00:00Z"
            draft["status"] = "completed"
        elif self.provider == "mailchimp":
            draft["status"] = "sent"
        elif self.provider == "mailerlite":
            draft["status"] = "ready"
        elif self.provider == "buttondown":
            draft["status"] = "scheduled"
        else:
            draft["status"] = "sent"

    # --- what a subscriber receives -----------------------------------------------------------------

    def delivered(self, draft_id: str) -> str:
        """The HTML a subscriber receives: the draft in whatever the provider puts around it, tags filled in."""
        draft = self.drafts[draft_id]
        return getattr(self, f"_deliver_{self.provider}")(draft)

    def _deliver_kit(self, draft: dict[str, Any]) -> str:
        (template,) = [t for t in self.templates if t["id"] == draft["email_template_id"]]
        page = template["html"].replace("{{ message_content }}", draft.get("content") or "")
        link = f"<a href='{UNSUBSCRIBE}'>Unsubscribe</a>"
        address = html.escape(ACCOUNT["address"])
        return (
            page.replace("{{ unsubscribe_url }}", UNSUBSCRIBE)
            .replace("{{ unsubscribe_link }}", link)
            .replace("{{ address }}", address)
        )

    def _deliver_buttondown(self, draft: dict[str, Any]) -> str:
        body = draft.get("body", "").replace("{{ unsubscribe_url }}", UNSUBSCRIBE)
        template = draft.get("template") or "classic"  # the newsletter's default
        if template == "naked":
            return body
        header = "<div class='newsletter-header'>Patrick's newsletter</div>"
        if template == "modern":
            header += f"<p class='description'>{html.escape(draft.get('description', ''))}</p>"
        colophon = f"<div class='newsletter-colophon'><a href='{UNSUBSCRIBE}'>Unsubscribe</a></div>"
        return f"<!DOCTYPE html><html><body>{header}<div class='newsletter-body'>{body}</div>{colophon}</body></html>"

    def _deliver_mailchimp(self, draft: dict[str, Any]) -> str:
        page = draft["content"]["html"]
        if "*|UNSUB|*" not in page:  # Mailchimp adds a footer of its own
            page = page.replace(
                "</body>", "<div class='mc-extra-footer'><a href='*|UNSUB|*'>unsubscribe</a></div></body>"
            )
        return page.replace("*|UNSUB|*", UNSUBSCRIBE).replace("*|HTML:LIST_ADDRESS_HTML|*", ACCOUNT["address"])

    def _deliver_brevo(self, draft: dict[str, Any]) -> str:
        return draft["htmlContent"].replace("{{ unsubscribe }}", UNSUBSCRIBE)

    def _deliver_mailerlite(self, draft: dict[str, Any]) -> str:
        page = draft["emails"][0]["content"]
        tags = ("{$unsubscribe}", "{$account}", "{$account_address}", "{$account_country}")
        if not all(tag in page for tag in tags):  # MailerLite's default footer
            footer = (
                "<div class='ml-default-footer'>{$account}<br>{$account_address}, {$account_country}"
                "<br><a href='{$unsubscribe}'>Unsubscribe</a></div>"
            )
            page = page.replace("</body>", footer + "</body>") if "</body>" in page else page + footer
        for tag, value in (
            ("{$unsubscribe}", UNSUBSCRIBE),
            ("{$account}", ACCOUNT["name"]),
            ("{$account_address}", ACCOUNT["address"]),
            ("{$account_country}", ACCOUNT["country"]),
        ):
            page = page.replace(tag, html.escape(value))
        return page

    # --- the APIs --------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        headers = dict(handler.headers.items())
        self.requests.append(Seen(method, url.path, body, headers, parse_qs(url.query)))
        if self.before:
            self.before(method, url.path)
        if self.redirect:
            target, self.redirect = self.redirect, None
            return self._send(handler, 307, None, extra={"Location": target})
        if self.failures:
            status = self.failures.pop(0)
            return self._error(handler, status, "Internal error" if status >= 500 else "Too many requests")
        if not self._authorised(handler):
            return self._error(handler, 401, "unauthorised")
        if method == "GET" and self.odd_reads:
            return self._send(handler, 200, self.odd_reads.pop(0))
        route = getattr(self, f"_{self.provider}")
        route(handler, method, url.path, body, parse_qs(url.query))

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

    def _stored(self, handler: BaseHTTPRequestHandler, status: int, data: Any) -> None:
        """The answer to a write the provider has done: as it should be, or as a broken network makes it."""
        if self.after_store:
            self.after_store()
        how = self.then_fail.pop(0) if self.then_fail else "ok"
        if how == "ok":
            return self._send(handler, status, data)
        if how == "drop":  # the connection closes with no answer at all
            handler.close_connection = True
            return None
        if how == "late":
            time.sleep(self.late_seconds)
            return self._send(handler, status, data)
        if how == "no-id":
            return self._send(handler, 200, {})
        return self._error(handler, int(how), "Gateway Timeout")

    # Kit v4 -------------------------------------------------------------------------------------------

    KIT_FIELDS = {  # a broadcast's fields and what a PUT that leaves one out puts there
        "subject": None,
        "preview_text": None,
        "content": None,
        "description": None,
        "public": False,
        "published_at": None,
        "send_at": None,
        "thumbnail_alt": None,
        "thumbnail_url": None,
        "email_address": None,
        "subscriber_filter": KIT_ALL_SUBSCRIBERS,
    }

    def _kit(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any, query: Any) -> None:
        if path == "/v4/email_templates" and method == "GET":
            listed = [{k: v for k, v in t.items() if k != "html"} for t in self.templates]
            return self._send(handler, 200, {"email_templates": listed, "pagination": {"has_next_page": False}})
        if path == "/v4/broadcasts" and method == "GET":
            listed = [self._kit_view(i) for i in sorted(self.drafts, key=int, reverse=True)]
            return self._send(handler, 200, {"broadcasts": listed, "pagination": {"has_next_page": False}})
        if path == "/v4/broadcasts" and method == "POST":
            refused = self._kit_refuses(body)
            if refused:
                return self._error(handler, 422, refused)
            draft_id = self._new_id()
            self.drafts[draft_id] = self._kit_broadcast(body, int(draft_id))
            return self._stored(handler, 201, {"broadcast": self._kit_view(draft_id)})
        if path.startswith("/v4/broadcasts/"):
            draft_id = self._found(handler, path, "/v4/broadcasts/")
            if draft_id is None:
                return None
            if method == "GET":
                return self._send(handler, 200, {"broadcast": self._kit_view(draft_id)})
            if method == "PUT":
                if self.drafts[draft_id]["status"] not in ("draft", "scheduled"):
                    return self._error(handler, 422, "Broadcast has already been sent or scheduled")
                refused = self._kit_refuses(body)
                if refused:
                    return self._error(handler, 422, refused)
                self.drafts[draft_id] = self._kit_broadcast(body, int(draft_id))
                return self._stored(handler, 200, {"broadcast": self._kit_view(draft_id)})
        return self._error(handler, 404, "Not Found")

    def _kit_refuses(self, body: dict[str, Any]) -> str | None:
        if not body.get("subject"):
            return "Subject can't be blank"
        template = body.get("email_template_id")
        if template is not None and template not in [t["id"] for t in self.templates]:
            return "Email template not found"
        address = body.get("email_address")
        if address is not None and address.lower() not in self.verified:
            return "Email address is not a confirmed sending address for this account"
        return None

    def _kit_broadcast(self, body: dict[str, Any], draft_id: int) -> dict[str, Any]:
        default = next(t["id"] for t in self.templates if t["is_default"])
        broadcast = {key: body.get(key, reset) for key, reset in self.KIT_FIELDS.items()}
        broadcast["id"] = draft_id
        broadcast["email_template_id"] = body.get("email_template_id") or default
        broadcast["status"] = "draft" if not body.get("send_at") else "scheduled"
        return broadcast

    def _kit_view(self, draft_id: str) -> dict[str, Any]:
        draft = self.drafts[draft_id]
        view = {k: v for k, v in draft.items() if k != "email_template_id"}
        (template,) = [t for t in self.templates if t["id"] == draft["email_template_id"]]
        view["email_template"] = {"id": template["id"], "name": template["name"]}
        return view

    # Buttondown v1 ------------------------------------------------------------------------------------

    def _buttondown(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any, query: Any) -> None:
        if path == "/v1/emails" and method == "GET":
            wanted = query.get("status")
            results = [d for d in self.drafts.values() if not wanted or d["status"] in wanted]
            results.sort(key=lambda d: d["creation_date"], reverse=True)
            return self._send(handler, 200, {"results": results, "count": len(results)})
        if path == "/v1/emails" and method == "POST":
            refused = self._buttondown_refuses(body)
            if refused:
                return self._error(handler, 400, *refused)
            draft_id = f"0c0ffee0-0000-4000-8000-{self._new_id():0>12}"
            self.drafts[draft_id] = {
                "body": "",
                "description": "",
                "filters": {"filters": [], "groups": [], "predicate": "and"},
                **body,
                "id": draft_id,
                "status": body.get("status", "about_to_send"),  # the reference's default: it goes out
                "creation_date": time.time(),
            }
            return self._stored(handler, 201, self.drafts[draft_id])
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
                if self.drafts[draft_id]["status"] not in ("draft", "scheduled"):
                    return self._error(handler, 400, "You can only edit drafts.", "email_not_draft")
                if body.get("status") == "scheduled" and not body.get("publish_date"):
                    return self._error(handler, 400, "A scheduled email needs a publish date.", "publish_date_invalid")
                refused = self._buttondown_refuses({**self.drafts[draft_id], **body})
                if refused:
                    return self._error(handler, 400, *refused)
                self.drafts[draft_id].update(body)
                return self._stored(handler, 200, self.drafts[draft_id])
        return self._error(handler, 404, "Not found.")

    @staticmethod
    def _buttondown_refuses(body: dict[str, Any]) -> tuple[str, str] | None:
        if not body.get("subject"):
            return "This field is required.", "subject_invalid"
        if body.get("template") == "naked" and "{{ unsubscribe_url }}" not in body.get("body", ""):
            return (
                "Your email must include the {{ unsubscribe_url }} template tag when using naked mode.",
                "body_invalid",
            )
        return None

    # Mailchimp Marketing 3.0 -----------------------------------------------------------------------------

    def _mailchimp(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any, query: Any) -> None:
        if path == "/3.0/campaigns" and method == "GET":
            wanted = query.get("status")
            campaigns = [d for d in self.drafts.values() if not wanted or d["status"] in wanted]
            shown = [{k: v for k, v in d.items() if k != "content"} for d in reversed(campaigns)]
            return self._send(handler, 200, {"campaigns": shown, "total_items": len(shown)})
        if path == "/3.0/campaigns" and method == "POST":
            list_id = (body.get("recipients") or {}).get("list_id")
            if list_id not in self.lists:
                return self._mailchimp_invalid(handler, "recipients.list_id", "List does not exist.")
            draft_id = f"c{self._new_id()}"
            self.drafts[draft_id] = {"id": draft_id, "type": body["type"], "status": "save", **body}
            return self._stored(handler, 200, self.drafts[draft_id])
        if path.startswith("/3.0/campaigns/"):
            draft_id = self._found(handler, path, "/3.0/campaigns/")
            if draft_id is None:
                return None
            draft = self.drafts[draft_id]
            if path.endswith("/content") and method == "PUT":
                if draft["status"] != "save":
                    return self._error(handler, 400, "This campaign cannot be edited.", "Bad Request")
                draft["content"] = body
                return self._stored(handler, 200, {"html": body["html"], "plain_text": body.get("plain_text")})
            if path.endswith("/actions/test") and method == "POST":
                self.tests_sent.append(list(body["test_emails"]))
                return self._send(handler, 204, None)
            if path.endswith("/send-checklist") and method == "GET":
                items = [{"type": "error", "id": 1, **item} for item in self.checklist]
                return self._send(handler, 200, {"is_ready": not items, "items": items})
            if path.endswith("/actions/schedule") and method == "POST":
                return self._mailchimp_schedule(handler, draft, body)
            if path.endswith("/actions/unschedule") and method == "POST":
                if draft["status"] != "schedule":
                    return self._error(handler, 400, "This campaign is not scheduled.", "Bad Request")
                draft["status"] = "save"
                draft.pop("send_time", None)
                return self._stored(handler, 204, None)
            if method == "GET":
                return self._send(handler, 200, {k: v for k, v in draft.items() if k != "content"})
            if method == "PATCH":
                if draft["status"] != "save":
                    return self._error(handler, 400, "This campaign cannot be edited.", "Bad Request")
                settings = body.get("settings") or {}
                for required in ("subject_line", "from_name", "reply_to"):
                    if not settings.get(required):
                        return self._mailchimp_invalid(
                            handler, f"settings.{required}", "This value should not be blank."
                        )
                draft["settings"] = {**draft.get("settings", {}), **settings}
                if "recipients" in body:  # replaced whole: a segment not sent again is gone
                    draft["recipients"] = body["recipients"]
                return self._stored(handler, 200, draft)
        return self._error(handler, 404, "The requested resource could not be found.", "Resource Not Found")

    def _mailchimp_schedule(self, handler: BaseHTTPRequestHandler, draft: dict[str, Any], body: Any) -> None:
        import datetime

        if not self.paid:
            return self._error(
                handler, 403, "Scheduling campaigns is available on paid plans only; upgrade to schedule.", "Forbidden"
            )
        if draft["status"] != "save" or self.checklist:
            return self._error(handler, 400, "This campaign cannot be scheduled.", "Bad Request")
        when = datetime.datetime.fromisoformat(str(body.get("schedule_time", "")).replace("Z", "+00:00"))
        if when.minute % 15 or when.second or when.microsecond:
            return self._mailchimp_invalid(
                handler, "schedule_time", "Campaigns may only be scheduled on the quarter-hour (:00, :15, :30, :45)."
            )
        draft["status"], draft["send_time"] = "schedule", when.astimezone(datetime.UTC).isoformat()
        return self._stored(handler, 204, None)

    def _mailchimp_invalid(self, handler: BaseHTTPRequestHandler, field_name: str, message: str) -> None:
        return self._error(
            handler,
            400,
            "The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
            "Invalid Resource",
            [{"field": field_name, "message": message}],
        )

    # Brevo v3 -----------------------------------------------------------------------------------------------

    def _brevo(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any, query: Any) -> None:
        if path == "/v3/emailCampaigns" and method == "GET":
            wanted = query.get("status")
            campaigns = [d for d in self.drafts.values() if not wanted or d["status"] in wanted]
            return self._send(handler, 200, {"campaigns": list(reversed(campaigns)), "count": len(campaigns)})
        if path == "/v3/emailCampaigns" and method == "POST":
            for required in ("name", "sender", "htmlContent", "subject"):
                if not body.get(required):
                    return self._error(handler, 400, f"{required} is missing", "missing_parameter")
            list_ids = [str(i) for i in (body.get("recipients") or {}).get("listIds", [])]
            if not list_ids or any(i not in self.lists for i in list_ids):
                return self._error(handler, 400, "List ids are not valid", "invalid_parameter")
            draft_id = self._new_id()
            self.drafts[draft_id] = {**body, "id": int(draft_id), "status": "draft"}
            return self._stored(handler, 201, {"id": int(draft_id)})
        if path.startswith("/v3/emailCampaigns/"):
            draft_id = self._found(handler, path, "/v3/emailCampaigns/")
            if draft_id is None:
                return None
            if path.endswith("/sendTest") and method == "POST":
                return self._brevo_test(handler, body)
            if path.endswith("/status") and method == "PUT":
                draft = self.drafts[draft_id]
                if body.get("status") == "draft" and draft["status"] == "queued":
                    draft["status"] = "draft"
                    draft.pop("scheduledAt", None)
                    return self._stored(handler, 204, None)
                return self._error(handler, 400, "Campaign status cannot be changed", "invalid_parameter")
            if method == "GET":
                return self._send(handler, 200, self.drafts[draft_id])
            if method == "PUT":
                if self.drafts[draft_id]["status"] != "draft":
                    return self._error(handler, 400, "Campaign cannot be updated", "not_enough_permissions")
                self.drafts[draft_id].update(body)  # recipients, when sent, replace lists and exclusions whole
                if body.get("scheduledAt"):
                    self.drafts[draft_id]["status"] = "queued"
                return self._stored(handler, 204, None)
        return self._error(handler, 404, "Campaign ID does not exist", "document_not_found")

    def _brevo_test(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        addresses = list(body.get("emailTo") or [])
        refused: dict[str, list[str]] = {"unexistingEmails": [], "withoutListEmails": [], "blackListedEmails": []}
        for address in addresses:
            if address in self.blocklisted:
                refused["blackListedEmails"].append(address)
            elif address not in self.contacts:
                refused["unexistingEmails"].append(address)
            elif not self.contacts[address]:
                refused["withoutListEmails"].append(address)
        if any(refused.values()):
            return self._send(
                handler,
                400,
                {
                    "code": "invalid_parameter",
                    "message": "Test email could not be sent to the following email addresses",
                    **refused,
                },
            )
        self.tests_sent.append(addresses)
        return self._send(handler, 204, None)

    # MailerLite ----------------------------------------------------------------------------------------------

    def _mailerlite(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any, query: Any) -> None:
        if path == "/api/timezones" and method == "GET":
            return self._send(handler, 200, {"data": list(self.TIMEZONES)})
        if path.startswith("/api/campaigns/") and path.endswith(("/schedule", "/cancel")) and method == "POST":
            draft_id = self._found(handler, path.rsplit("/", 1)[0], "/api/campaigns/")
            if draft_id is None:
                return None
            return self._mailerlite_schedule(handler, self.drafts[draft_id], path.endswith("/cancel"), body or {})
        if path == "/api/campaigns" and method == "GET":
            wanted = query.get("filter[status]")
            campaigns = [d for d in self.drafts.values() if not wanted or d["status"] in wanted]
            return self._send(handler, 200, {"data": list(reversed(campaigns))})
        writes = (path == "/api/campaigns" and method == "POST") or (
            path.startswith("/api/campaigns/") and method == "PUT"
        )
        if writes:
            email = body["emails"][0]
            if not self.advanced_plan and email.get("content"):
                return self._mailerlite_invalid(
                    handler, "emails.0.content", "Content submission is only available on the Advanced plan."
                )
            for key in ("from", "reply_to"):
                if key in email and str(email[key]).lower() not in self.verified:
                    return self._mailerlite_invalid(
                        handler, f"emails.0.{key}", f"The emails.0.{key} must be a verified sender."
                    )
            if body.get("groups") and str(body["groups"][0]) not in self.lists:
                return self._mailerlite_invalid(handler, "groups.0", "The selected groups.0 is invalid.")
        if path == "/api/campaigns" and method == "POST":
            draft_id = self._new_id() + "000"
            self.drafts[draft_id] = {"segments": [], **body, "id": draft_id, "status": "draft"}
            return self._stored(handler, 201, {"data": self.drafts[draft_id]})
        if path.startswith("/api/campaigns/"):
            draft_id = self._found(handler, path, "/api/campaigns/")
            if draft_id is None:
                return None
            if method == "GET":
                return self._send(handler, 200, {"data": self.drafts[draft_id]})
            if method == "PUT":
                draft = self.drafts[draft_id]
                if draft["status"] != "draft":
                    return self._error(handler, 422, "Only draft campaigns can be updated.")
                if "groups" in body and "segments" not in body:  # the audience is groups or segments, not both
                    draft["segments"] = []
                draft.update(body)
                return self._stored(handler, 200, {"data": draft})
        return self._error(handler, 404, "Resource not found.")

    def _mailerlite_schedule(
        self, handler: BaseHTTPRequestHandler, draft: dict[str, Any], cancel: bool, body: dict[str, Any]
    ) -> None:
        if cancel:
            if draft["status"] != "ready":
                return self._error(handler, 422, "Only scheduled campaigns can be canceled.")
            draft["status"] = "draft"
            draft.pop("scheduled_for", None)
            return self._stored(handler, 200, {"data": draft})
        if draft["status"] != "draft":
            return self._error(handler, 422, "Only draft campaigns can be scheduled.")
        schedule = body.get("schedule") or {}
        for key in ("date", "hours", "minutes"):
            if body.get("delivery") == "scheduled" and not schedule.get(key):
                return self._mailerlite_invalid(handler, f"schedule.{key}", f"The schedule.{key} field is required.")
        if schedule.get("timezone_id") not in [zone["id"] for zone in self.TIMEZONES]:
            return self._mailerlite_invalid(handler, "schedule.timezone_id", "The selected timezone id is invalid.")
        draft["status"] = "ready"
        draft["scheduled_for"] = f"{schedule['date']} {schedule['hours']}:{schedule['minutes']}:00"
        draft["timezone_id"] = schedule["timezone_id"]
        return self._stored(handler, 200, {"data": draft})

    def _mailerlite_invalid(self, handler: BaseHTTPRequestHandler, field_name: str, message: str) -> None:
        return self._error(handler, 422, message, errors={field_name: [message]})

    # --- answers ---------------------------------------------------------------------------------------------

    def _error(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        message: str,
        code: str | None = None,
        errors: Any = None,
    ) -> None:
        if self.echo_headers:  # a broken provider quoting the request it refused, key and all
            message = f"{message} (request headers: {dict(handler.headers.items())})"
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

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        data: Any,
        kind: str = "application/json",
        extra: dict[str, str] | None = None,
    ) -> None:
        payload = b"" if data is None else data if isinstance(data, bytes) else json.dumps(data).encode()
        handler.send_response(status)
        if status == 429:
            handler.send_header("Retry-After", self.retry_after)
        for name, value in (extra or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if self.drip_seconds and payload:
            pause, self.drip_seconds = self.drip_seconds, 0.0
            until = time.monotonic() + 5
            try:
                for byte in payload:
                    if time.monotonic() > until:  # a client still waiting by now has no deadline: hang up
                        handler.close_connection = True
                        return
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                    time.sleep(pause)
            except OSError:  # the client gave up waiting, as it should
                return
            return
        handler.wfile.write(payload)


def unsubscribe_links(page: str) -> int:
    """How many links in a delivered email unsubscribe the reader."""
    return len(re.findall(rf"href=['\"]{re.escape(UNSUBSCRIBE)}['\"]", page))


def unfilled_tags(page: str) -> list[str]:
    """Merge tags no provider filled in: what a subscriber would see as it is."""
    return re.findall(r"\{\{[^}]*\}\}|\*\|[A-Z_:]+\|\*|\{\$[a-z_]+\}", page)
