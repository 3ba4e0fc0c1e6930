"""The mail providers `email push` puts a draft into, behind one small interface.

Each adapter maps a :class:`Draft` onto its provider's API and back:
``create`` (a draft, never a send or a schedule), ``read`` (draft, or sent or
scheduled, and what an update must send back as it is), ``update`` (the
content of the same draft, never its audience), ``find`` (the drafts an
earlier push made, when its answer was lost) and ``send_test`` (to a few
addresses, where the API can). Requests and their shapes follow each
provider's API reference and official SDK (cited on each class);
tests/fake_mail.py answers as each provider does.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from monthlypost.publish import dig, valid_id
from monthlypost.publish.http import KEY_VARIABLE, Client, ProviderError, api_origin, provider_message

DRAFT, SENT = "draft", "sent or scheduled"
_BODY = re.compile(r"<body\b[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sender(name: Any, address: Any) -> str:
    shown = str(address or "")
    return f"{name} <{shown}>" if name else shown


def with_reply_to(shown_from: str, reply_to: Any) -> dict[str, str]:
    """The sender and where replies go (the sender, unless another address is set), as the diff shows them."""
    return {"From": shown_from, "Reply-To": str(reply_to or shown_from)}


@dataclass(frozen=True)
class Draft:
    """What a month's email push sends: the newsletter, who it is from, and where it goes."""

    month: str
    title: str  # the campaign's name where the provider has one: "2024-04 · Why your hip pain…"
    subject: str
    preheader: str
    html: str  # newsletter.html: a whole document
    text: str
    from_name: str
    from_address: str  # the sender: [email] from_address, or [author] email
    from_chosen: bool  # whether [email] from_address is set (Kit: else its own default sending address)
    reply_to: str | None  # [email] reply_to, only when set and unlike the sender
    audience: str | None  # [email] list
    template: str | None  # the provider's template it is put in (Kit's name, Buttondown's kind)

    @property
    def body(self) -> str:
        """The newsletter without its document around it: what goes inside a provider's own template."""
        found = _BODY.search(self.html)
        return found.group(1).strip() + "\n" if found else self.html


@dataclass
class Remote:
    """A draft as its provider holds it."""

    state: str  # DRAFT or SENT
    kept: dict[str, Any] = field(default_factory=dict)  # fields an update sends back exactly as they are
    shown: dict[str, str] = field(default_factory=dict)  # the sender and template, for the diff
    scheduled: bool = False  # SENT, but scheduled, not gone: what --unschedule takes back


class Provider:
    name: ClassVar[str]  # as people call it
    key_help: ClassVar[str]  # where its API key is made
    audience: ClassVar[str | None] = None  # what [email] list is for it, when it needs one
    tests: ClassVar[bool] = True  # whether its API sends a test of a draft
    origin: ClassVar[str]  # its API's scheme and host
    auth_header: ClassVar[str] = ""  # "Header: {key}" for the providers that take the key in a header
    headers: ClassVar[dict[str, str]] = {}  # sent with every request besides

    def __init__(self, client: Client):
        self.client = client

    @classmethod
    def connect(cls, key: str) -> Provider:
        """The adapter, with a client that authenticates as this provider asks."""
        header, _, value = cls.auth_header.partition(": ")
        headers = {header: value.format(key=key), **cls.headers}
        return cls(Client(cls.name, api_origin(cls.origin), headers, secrets=(key,)))

    # --- what each provider implements ----------------------------------------------------------

    def create(self, draft: Draft, made: Callable[[str], None]) -> str:
        """The new draft's id; ``made(id)`` as soon as the provider has one, before any further step."""
        raise NotImplementedError

    def read(self, draft_id: str) -> Remote | None:
        """The draft as the provider holds it, or None when it was deleted there."""
        raise NotImplementedError

    def update(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        raise NotImplementedError

    def find(self, marker: dict[str, str]) -> list[str]:
        """Drafts made from ``marker`` (see :meth:`marker`), newest first: what a create whose answer was
        lost left behind."""
        raise NotImplementedError

    def send_test(self, draft_id: str, addresses: list[str]) -> None:
        raise NotImplementedError

    def delivery(self, draft: Draft) -> str:
        """What the subscriber receives around the newsletter, in a sentence."""
        raise NotImplementedError

    def planned(self, draft: Draft, remote: Remote) -> dict[str, str]:
        """What an update sets of the fields in ``Remote.shown``."""
        return {}

    def schedule(self, draft_id: str, when: datetime.datetime, draft: Draft, remote: Remote) -> str:
        """The draft scheduled to be sent at ``when`` (an instant); a note when the provider moves it."""
        raise NotImplementedError

    def unschedule(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        """A scheduled email taken back to a draft."""
        raise NotImplementedError

    # --- shared ------------------------------------------------------------------------------------

    def marker(self, draft: Draft) -> dict[str, str]:
        """What tells this draft apart from others in the provider: its name there, and its subject."""
        return {"name": draft.title, "subject": draft.subject}

    def _read(self, data: Any, *path: str, kind: type = str) -> Any:
        """data[key][key]… as the reference gives it; an answer of another shape changes nothing."""
        value = dig(data, *path)
        if not isinstance(value, kind):
            raise ProviderError(
                f"{self.name} answered about the draft in a form monthlypost does not know, so nothing was "
                "changed; look at the draft there, and try again later"
            )
        return value

    def _created_id(self, data: Any, *path: str) -> str:
        created = valid_id(dig(data, *path))
        if created is None:  # made, most likely: looked for by the caller
            raise ProviderError(f"{self.name} answered the create without the draft's id", ambiguous=True)
        return created

    def _listed(self, data: Any, *path: str) -> list[Any]:
        items = dig(data, *path)
        return items if isinstance(items, list) else []

    def _named(
        self,
        path: str,
        listed: str,
        named: tuple[str, ...],
        marker: dict[str, str],
        keep: Callable[[Any], bool] = lambda item: True,
    ) -> list[str]:
        """The drafts in the provider's list at ``path`` (under ``listed``, newest first) whose name, at
        ``named``, is the marker's, and that ``keep`` keeps."""
        _, data = self.client.request("GET", path, doing="looking for the draft")
        return [
            found
            for item in self._listed(data, listed)
            if dig(item, *named) == marker["name"] and keep(item) and (found := valid_id(dig(item, "id")))
        ]


class Kit(Provider):
    """Kit (ConvertKit) API v4: broadcasts (developers.kit.com/v4, and Kit's PHP SDK, ConvertKitSDK-PHP).

    No send_at makes a draft. Kit puts a broadcast's content into an email template ({{ message_content }});
    a custom HTML template must itself hold the unsubscribe link, so the newsletter goes in without its
    own, as its document's body. An update that leaves out subscriber_filter sends to all subscribers, so an
    update sends back every field it does not change as it read it. Left out, email_address is the account's
    default sending address: it is sent only when [email] from_address is set.
    """

    name = "Kit"
    key_help = "in Kit, Settings → Developer → API keys (a v4 key)"
    origin = "https://api.kit.com"
    auth_header = "X-Kit-Api-Key: {key}"
    tests = False  # Kit's API has no test send
    KEPT = ("public", "published_at", "send_at", "thumbnail_alt", "thumbnail_url", "email_address", "subscriber_filter")

    def __init__(self, client: Client):
        super().__init__(client)
        self._templates: dict[str, int] = {}

    def template(self, name: str) -> int:
        """The id of Kit's email template named ``name`` (case aside)."""
        if name.lower() not in self._templates:
            _, data = self.client.request(
                "GET", "/v4/email_templates?per_page=1000", doing="reading your email templates"
            )
            found = [
                template
                for template in self._listed(data, "email_templates")
                if str(dig(template, "name") or "").lower() == name.lower() and valid_id(dig(template, "id"))
            ]
            if not found:
                raise ProviderError(
                    f"Kit has no email template named '{name}'. Make it once: in Kit, Send → Email templates → "
                    "New template → HTML, name it so, and paste as its whole HTML the template in the README's "
                    "'Publishing the newsletter' (it puts the newsletter in {{ message_content }} and adds the "
                    "unsubscribe link Kit requires)"
                )
            self._templates[name.lower()] = int(found[0]["id"])  # Kit's ids are numbers
        return self._templates[name.lower()]

    def _content(self, draft: Draft) -> dict[str, Any]:
        return {
            "subject": draft.subject,
            "preview_text": draft.preheader,
            "content": draft.body,
            "description": draft.title,
        }

    def create(self, draft: Draft, made: Callable[[str], None]) -> str:
        body = {
            **self._content(draft),
            "email_template_id": self.template(draft.template or "monthlypost"),
            "public": False,
            "send_at": None,
        }
        if draft.from_chosen:
            body["email_address"] = draft.from_address
        _, data = self.client.request("POST", "/v4/broadcasts", body, self._explain(draft), doing="creating the draft")
        return self._created_id(data, "broadcast", "id")

    def read(self, draft_id: str) -> Remote | None:
        status, data = self.client.request("GET", f"/v4/broadcasts/{draft_id}", missing=True, doing="reading the draft")
        if status == 404:
            return None
        broadcast = self._read(data, "broadcast", kind=dict)
        said = broadcast.get("status")  # draft, scheduled, sending, completed… where given; else send_at
        draft = said == "draft" if isinstance(said, str) else not broadcast.get("send_at")
        kept = {key: broadcast[key] for key in self.KEPT if key in broadcast}
        template = valid_id(dig(broadcast, "email_template", "id"))
        if template is not None:
            kept["email_template_id"] = int(template) if template.isdigit() else template
        shown = {"Sending address": str(broadcast.get("email_address") or "Kit's default")}
        return Remote(DRAFT if draft else SENT, kept, shown, scheduled=said == "scheduled")

    def planned(self, draft: Draft, remote: Remote) -> dict[str, str]:
        return {"Sending address": draft.from_address} if draft.from_chosen else dict(remote.shown)

    def update(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        body = {**remote.kept, **self._content(draft)}
        if draft.from_chosen:
            body["email_address"] = draft.from_address
        self.client.request("PUT", f"/v4/broadcasts/{draft_id}", body, self._explain(draft), doing="updating the draft")

    def schedule(self, draft_id: str, when: datetime.datetime, draft: Draft, remote: Remote) -> str:
        self._put(draft_id, draft, remote, utc_text(when), "scheduling the email")
        return ""

    def unschedule(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        self._put(draft_id, draft, remote, None, "unscheduling the email")

    def _put(self, draft_id: str, draft: Draft, remote: Remote, send_at: str | None, doing: str) -> None:
        """A PUT replaces the broadcast's fields: every one is sent, send_at set (or null: a draft again)."""
        body = {**remote.kept, **self._content(draft), "send_at": send_at}
        if draft.from_chosen:
            body["email_address"] = draft.from_address
        self.client.request("PUT", f"/v4/broadcasts/{draft_id}", body, self._explain(draft), doing=doing)

    def find(self, marker: dict[str, str]) -> list[str]:  # a broadcast's own name is its description
        found = self._named("/v4/broadcasts?per_page=500", "broadcasts", ("description",), marker, self._unsent)
        return sorted(found, key=lambda i: (len(i), i), reverse=True)  # Kit's ids are numbers, newest highest

    @staticmethod
    def _unsent(broadcast: Any) -> bool:
        return not dig(broadcast, "send_at")

    def delivery(self, draft: Draft) -> str:
        return f"Kit puts it in your email template '{draft.template}', which adds the one unsubscribe link under it"

    def _explain(self, draft: Draft) -> Callable[[int, Any], str | None]:
        def explain(status: int, data: Any) -> str | None:
            said = provider_message(data)
            if status == 422 and draft.from_chosen and re.search(r"email.?address|sending|sender", said, re.I):
                return (
                    f"Kit does not send from {draft.from_address} (“{said}”): Kit sends only from addresses "
                    "added and confirmed in its settings (Settings → Email → Sending addresses); add it there, or "
                    "remove [email] from_address to send from Kit's default"
                )
            return None

        return explain


class Buttondown(Provider):
    """Buttondown API v1: emails (buttondown/docs public/openapi.json, and its naked-mode and
    designing-your-email pages).

    status must be sent as "draft": the API's default, about_to_send, sends the email. "template" chooses
    what Buttondown puts around the body: "naked" nothing (the body must carry {{ unsubscribe_url }}; a
    Buttondown Plus feature), its Classic, Modern or plain-text templates their header and footer, with the
    unsubscribe link, so the newsletter goes in without its own. The API version is pinned: without the
    header, Buttondown uses whichever version the newsletter's settings name.
    """

    name = "Buttondown"
    key_help = "in Buttondown, Settings → API → API key"
    origin = "https://api.buttondown.com"
    auth_header = "Authorization: Token {key}"
    headers = {"X-API-Version": "2025-06-01"}

    def _sent_body(self, draft: Draft) -> str:
        return draft.html if draft.template == "naked" else draft.body

    def _content(self, draft: Draft) -> dict[str, Any]:
        return {
            "subject": draft.subject,
            "body": self._sent_body(draft),
            "description": draft.preheader,
            "template": draft.template,
        }

    def marker(self, draft: Draft) -> dict[str, str]:  # Buttondown keeps no name of its own: the body tells
        return {**super().marker(draft), "body_sha256": sha256(self._sent_body(draft))}

    def create(self, draft: Draft, made: Callable[[str], None]) -> str:
        body = {**self._content(draft), "status": "draft"}
        _, data = self.client.request("POST", "/v1/emails", body, doing="creating the draft")
        return self._created_id(data, "id")

    def read(self, draft_id: str) -> Remote | None:
        status, data = self.client.request("GET", f"/v1/emails/{draft_id}", missing=True, doing="reading the draft")
        if status == 404:
            return None
        said = self._read(data, "status")
        state = DRAFT if said == "draft" else SENT
        shown = {"Template": str(dig(data, "template") or "the newsletter's default")}
        return Remote(state, shown=shown, scheduled=said == "scheduled")

    def schedule(self, draft_id: str, when: datetime.datetime, draft: Draft, remote: Remote) -> str:
        body = {"status": "scheduled", "publish_date": utc_text(when)}
        self.client.request("PATCH", f"/v1/emails/{draft_id}", body, doing="scheduling the email")
        return ""

    def unschedule(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        self.client.request("PATCH", f"/v1/emails/{draft_id}", {"status": "draft"}, doing="unscheduling the email")

    def planned(self, draft: Draft, remote: Remote) -> dict[str, str]:
        return {"Template": str(draft.template)}

    def update(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        # no status (the email stays what it is) and no filters (its audience stays what it is)
        self.client.request("PATCH", f"/v1/emails/{draft_id}", self._content(draft), doing="updating the draft")

    def find(self, marker: dict[str, str]) -> list[str]:
        _, data = self.client.request(
            "GET", "/v1/emails?status=draft&ordering=-creation_date", doing="looking for the draft"
        )
        return [
            found
            for item in self._listed(data, "results")
            if isinstance(item, dict)
            and item.get("subject") == marker["subject"]
            and sha256(str(item.get("body", ""))) == marker.get("body_sha256")
            and (found := valid_id(item.get("id")))
        ]

    def send_test(self, draft_id: str, addresses: list[str]) -> None:
        self.client.request(
            "POST", f"/v1/emails/{draft_id}/send-draft", {"recipients": addresses}, doing="sending the test"
        )

    def delivery(self, draft: Draft) -> str:
        if draft.template == "naked":
            return (
                "Buttondown sends it as it is (naked mode, on Buttondown Plus), with its one unsubscribe link; "
                'on other plans set [email] template = "classic" (README: Publishing the newsletter)'
            )
        extra = ", and shows the preview text as a line above it" if draft.template == "modern" else ""
        return (
            f"Buttondown puts it in its {draft.template.title() if draft.template else ''} template: Buttondown's "
            f"header, and its footer with the one unsubscribe link, around the newsletter{extra}"
        )


class Mailchimp(Provider):
    """Mailchimp Marketing API 3.0: a regular campaign (status "save" is a draft), its content set apart
    (mailchimp.com/developer/marketing/api/campaigns, and mailchimp-marketing-python).

    settings.reply_to is Mailchimp's one sender address, the From address too. A PATCH must carry
    settings.subject_line, from_name and reply_to; recipients is left out of it, which keeps the audience and
    its segment as they are (sent, it would replace them whole).
    """

    name = "Mailchimp"
    key_help = "in Mailchimp, Profile → Extras → API keys"
    audience = "the audience id (Audience → Settings → Audience name and defaults → Audience ID)"

    @classmethod
    def connect(cls, key: str) -> Provider:
        """HTTP Basic with the key as password, at the host of the key's data centre (it ends …-us21)."""
        centre = key.rsplit("-", 1)[-1] if "-" in key else ""
        if not centre.isalnum() or not centre:
            raise ProviderError(
                f"{KEY_VARIABLE} does not look like a Mailchimp API key: it ends in its data centre, "
                "like …-us21; copy the whole key from Mailchimp"
            )
        basic = base64.b64encode(f"monthlypost:{key}".encode()).decode()
        origin = api_origin(f"https://{centre}.api.mailchimp.com")
        return cls(Client(cls.name, origin, {}, auth=("monthlypost", key), secrets=(key, basic)))

    def _settings(self, draft: Draft) -> dict[str, Any]:
        return {
            "subject_line": draft.subject,
            "preview_text": draft.preheader,
            "title": draft.title,
            "from_name": draft.from_name,
            "reply_to": draft.from_address,  # Mailchimp's one address: From, and where replies go
        }

    def create(self, draft: Draft, made: Callable[[str], None]) -> str:
        body = {"type": "regular", "recipients": {"list_id": draft.audience}, "settings": self._settings(draft)}
        _, data = self.client.request("POST", "/3.0/campaigns", body, self._explain, doing="creating the draft")
        campaign = self._created_id(data, "id")
        made(campaign)  # recorded before its content is set: a failure there leaves a draft to update, not a stray
        self._content(campaign, draft)
        return campaign

    def _content(self, campaign: str, draft: Draft) -> None:
        body = {"html": draft.html, "plain_text": draft.text}
        self.client.request(
            "PUT", f"/3.0/campaigns/{campaign}/content", body, self._explain, doing="setting the draft's content"
        )

    def read(self, draft_id: str) -> Remote | None:
        status, data = self.client.request("GET", f"/3.0/campaigns/{draft_id}", missing=True, doing="reading the draft")
        if status == 404:
            return None
        said = self._read(data, "status")
        state = DRAFT if said == "save" else SENT
        shown = {"From": sender(dig(data, "settings", "from_name"), dig(data, "settings", "reply_to"))}
        return Remote(state, shown=shown, scheduled=said == "schedule")

    def schedule(self, draft_id: str, when: datetime.datetime, draft: Draft, remote: Remote) -> str:
        """After Mailchimp's send checklist, at the quarter-hour at or after ``when`` (the only times Mailchimp
        schedules at)."""
        _, checklist = self.client.request(
            "GET", f"/3.0/campaigns/{draft_id}/send-checklist", doing="reading the campaign's send checklist"
        )
        if isinstance(checklist, dict) and checklist.get("is_ready") is False:
            items = [
                f"{dig(item, 'heading')}: {dig(item, 'details')}"
                for item in checklist.get("items") or []
                if dig(item, "type") == "error"
            ]
            raise ProviderError(
                "Mailchimp's send checklist says the campaign is not ready: "
                + ("; ".join(str(i) for i in items) or "see the campaign in Mailchimp")
            )
        at = quarter_hour(when)
        body = {"schedule_time": at.astimezone(datetime.UTC).isoformat()}
        self.client.request(
            "POST", f"/3.0/campaigns/{draft_id}/actions/schedule", body, self._explain, doing="scheduling the email"
        )
        if at == when:
            return ""
        return f"Mailchimp schedules on the quarter-hour only, so it goes at {at:%H:%M}, not {when:%H:%M}"

    def unschedule(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        self.client.request(
            "POST", f"/3.0/campaigns/{draft_id}/actions/unschedule", None, doing="unscheduling the email"
        )

    def planned(self, draft: Draft, remote: Remote) -> dict[str, str]:
        return {"From": sender(draft.from_name, draft.from_address)}

    def update(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        self.client.request(
            "PATCH",
            f"/3.0/campaigns/{draft_id}",
            {"settings": self._settings(draft)},
            self._explain,
            doing="updating the draft",
        )
        self._content(draft_id, draft)

    def find(self, marker: dict[str, str]) -> list[str]:
        path = "/3.0/campaigns?status=save&count=1000&sort_field=create_time&sort_dir=DESC"
        return self._named(path, "campaigns", ("settings", "title"), marker)

    def send_test(self, draft_id: str, addresses: list[str]) -> None:
        body = {"test_emails": addresses, "send_type": "html"}
        self.client.request(
            "POST", f"/3.0/campaigns/{draft_id}/actions/test", body, self._explain, doing="sending the test"
        )

    def delivery(self, draft: Draft) -> str:
        return "Mailchimp sends it as it is, filling in the one unsubscribe link and your audience's postal address"

    def _explain(self, status: int, data: Any) -> str | None:
        said = provider_message(data)
        if status == 403 and re.search(r"paid|plan|upgrade", said, re.I):
            return (
                f"Mailchimp schedules campaigns only on a paid plan (“{said}”); schedule it by hand when you can, "
                "or send it from Mailchimp at the time monthlypost shows"
            )
        if status == 400 and "list" in said.lower():
            return f"Mailchimp refused the audience in [email] list (“{said}”); check {self.audience}"
        return None


class Brevo(Provider):
    """Brevo API v3: email campaigns, a draft until scheduled (developers.brevo.com, and brevo-python).

    An update leaves recipients out, which keeps the lists and exclusions as they are. A test goes only to
    existing contacts on a list, at most 50 a day; a 400 lists the addresses it refused and why.
    """

    name = "Brevo"
    key_help = "in Brevo, the account menu → SMTP & API → API keys"
    origin = "https://api.brevo.com"
    auth_header = "api-key: {key}"
    audience = "the id of the contact list (Contacts → Lists: the number beside its name)"
    REFUSED = {
        "unexistingEmails": "not a contact in Brevo",
        "withoutListEmails": "a contact on no list",
        "blackListedEmails": "blocklisted",
    }

    def _content(self, draft: Draft) -> dict[str, Any]:
        body = {
            "name": draft.title,
            "subject": draft.subject,
            "previewText": draft.preheader,
            "htmlContent": draft.html,
            "sender": {"name": draft.from_name, "email": draft.from_address},
        }
        if draft.reply_to:
            body["replyTo"] = draft.reply_to
        return body

    def _list(self, draft: Draft) -> int:
        if not (draft.audience or "").isdigit():
            raise ProviderError(f"[email] list: Brevo takes {self.audience}, not '{draft.audience}'")
        return int(draft.audience or 0)

    def create(self, draft: Draft, made: Callable[[str], None]) -> str:
        body = {**self._content(draft), "recipients": {"listIds": [self._list(draft)]}}
        _, data = self.client.request("POST", "/v3/emailCampaigns", body, doing="creating the draft")
        return self._created_id(data, "id")

    def read(self, draft_id: str) -> Remote | None:
        status, data = self.client.request(
            "GET", f"/v3/emailCampaigns/{draft_id}", missing=True, doing="reading the draft"
        )
        if status == 404:
            return None
        said = self._read(data, "status")
        state = DRAFT if said == "draft" else SENT
        shown = with_reply_to(sender(dig(data, "sender", "name"), dig(data, "sender", "email")), dig(data, "replyTo"))
        return Remote(state, shown=shown, scheduled=said == "queued")

    def schedule(self, draft_id: str, when: datetime.datetime, draft: Draft, remote: Remote) -> str:
        body = {"scheduledAt": utc_text(when)}  # the campaign is then "queued"
        self.client.request("PUT", f"/v3/emailCampaigns/{draft_id}", body, doing="scheduling the email")
        return ""

    def unschedule(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        self.client.request(
            "PUT", f"/v3/emailCampaigns/{draft_id}/status", {"status": "draft"}, doing="unscheduling the email"
        )

    def planned(self, draft: Draft, remote: Remote) -> dict[str, str]:
        return with_reply_to(sender(draft.from_name, draft.from_address), draft.reply_to)

    def update(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        self.client.request("PUT", f"/v3/emailCampaigns/{draft_id}", self._content(draft), doing="updating the draft")

    def find(self, marker: dict[str, str]) -> list[str]:
        path = "/v3/emailCampaigns?type=classic&status=draft&limit=100&sort=desc"
        return self._named(path, "campaigns", ("name",), marker)

    def send_test(self, draft_id: str, addresses: list[str]) -> None:
        self.client.request(
            "POST",
            f"/v3/emailCampaigns/{draft_id}/sendTest",
            {"emailTo": addresses},
            self._explain_test,
            doing="sending the test",
        )

    def _explain_test(self, status: int, data: Any) -> str | None:
        if status != 400 or not isinstance(data, dict):
            return None
        refused = [
            f"{address} ({why})"
            for key, why in self.REFUSED.items()
            for address in (data.get(key) if isinstance(data.get(key), list) else [])
        ]
        if not refused:
            return None
        return (
            f"Brevo sent no test: it sends tests only to contacts on one of your lists, at most 50 a day, and "
            f"refused {', '.join(refused)}; add them as contacts on a list in Brevo, or use 'monthlypost send-test'"
        )

    def delivery(self, draft: Draft) -> str:
        return "Brevo sends it as it is, filling in the one unsubscribe link"


class MailerLite(Provider):
    """MailerLite API (connect.mailerlite.com): regular campaigns (developers.mailerlite.com, and
    mailerlite-python, whose recorded update carries no groups and no type).

    An update sends the name and the email only: groups and segments left out stay as they are, and the type
    cannot change. emails.*.from must be a sender verified in MailerLite, and so must reply_to, sent only when
    [email] reply_to is set. Custom HTML content needs its Advanced plan. MailerLite adds its default footer
    to HTML that lacks its unsubscribe tag and the account's name, address and country tags, which the
    newsletter carries (config.EMAIL_PROVIDERS).
    """

    name = "MailerLite"
    key_help = "in MailerLite, Integrations → MailerLite API → Generate new token"
    audience = "the id of a subscriber group (Subscribers → Groups: the group's id, in its address)"
    tests = False  # its API sends no test of a campaign
    origin = "https://connect.mailerlite.com"
    auth_header = "Authorization: Bearer {key}"

    def _email(self, draft: Draft) -> dict[str, Any]:
        email = {
            "subject": draft.subject,
            "from_name": draft.from_name,
            "from": draft.from_address,
            "content": draft.html,
        }
        if draft.reply_to:
            email["reply_to"] = draft.reply_to
        return email

    def create(self, draft: Draft, made: Callable[[str], None]) -> str:
        body = {"name": draft.title, "type": "regular", "emails": [self._email(draft)], "groups": [draft.audience]}
        _, data = self.client.request("POST", "/api/campaigns", body, self._explain(draft), doing="creating the draft")
        return self._created_id(data, "data", "id")

    def read(self, draft_id: str) -> Remote | None:
        status, data = self.client.request("GET", f"/api/campaigns/{draft_id}", missing=True, doing="reading the draft")
        if status == 404:
            return None
        said = self._read(data, "data", "status")
        state = DRAFT if said == "draft" else SENT
        emails = dig(data, "data", "emails")
        first = emails[0] if isinstance(emails, list) and emails else {}
        shown = with_reply_to(sender(dig(first, "from_name"), dig(first, "from")), dig(first, "reply_to"))
        return Remote(state, shown=shown, scheduled=said == "ready")

    def schedule(self, draft_id: str, when: datetime.datetime, draft: Draft, remote: Remote) -> str:
        """MailerLite takes the date, hours and minutes in one of its time zones, by its id."""
        name = str(getattr(when.tzinfo, "key", "UTC"))
        _, data = self.client.request("GET", "/api/timezones", doing="reading MailerLite's time zones")
        found = [zone for zone in self._listed(data, "data") if dig(zone, "name") == name and valid_id(dig(zone, "id"))]
        if not found:
            raise ProviderError(f"MailerLite has no time zone named {name}; set [author] timezone to one it has")
        zone = found[0]["id"]
        schedule = {"date": f"{when:%Y-%m-%d}", "hours": f"{when:%H}", "minutes": f"{when:%M}", "timezone_id": zone}
        body = {"delivery": "scheduled", "schedule": schedule}
        self.client.request(
            "POST", f"/api/campaigns/{draft_id}/schedule", body, self._explain(draft), doing="scheduling the email"
        )
        return ""

    def unschedule(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        self.client.request("POST", f"/api/campaigns/{draft_id}/cancel", None, doing="unscheduling the email")

    def planned(self, draft: Draft, remote: Remote) -> dict[str, str]:
        return with_reply_to(sender(draft.from_name, draft.from_address), draft.reply_to)

    def update(self, draft_id: str, draft: Draft, remote: Remote) -> None:
        body = {"name": draft.title, "emails": [self._email(draft)]}
        self.client.request("PUT", f"/api/campaigns/{draft_id}", body, self._explain(draft), doing="updating the draft")

    def find(self, marker: dict[str, str]) -> list[str]:
        return self._named("/api/campaigns?filter[status]=draft&limit=100", "data", ("name",), marker)

    def delivery(self, draft: Draft) -> str:
        return (
            "MailerLite sends it as it is, filling in the one unsubscribe link and your company's name, address "
            "and country (Account settings → Company profile)"
        )

    def _explain(self, draft: Draft) -> Callable[[int, Any], str | None]:
        def explain(status: int, data: Any) -> str | None:
            said = provider_message(data)
            errors = dig(data, "errors")
            fields = set(errors) if isinstance(errors, dict) else set()
            if status in (403, 422) and "plan" in said.lower():
                return (
                    f"MailerLite takes an email's own HTML through its API only on its Advanced plan (“{said}”). "
                    "Paste newsletter.html into a Custom HTML campaign instead: see the README's 'The newsletter'"
                )
            unverified = [
                (address, key)
                for key, address in (("emails.0.from", draft.from_address), ("emails.0.reply_to", draft.reply_to))
                if key in fields and address
            ]
            if status == 422 and unverified:
                address, key = unverified[0]
                setting = "[email] from_address" if key.endswith("from") else "[email] reply_to"
                return (
                    f"MailerLite sends only from addresses verified in it, and refused {address} (“{said}”): "
                    f"verify it in MailerLite (Account settings → Domains, or the sender's confirmation email), or "
                    f"change {setting}"
                )
            return None

        return explain


PROVIDERS: dict[str, type[Provider]] = {
    "kit": Kit,
    "buttondown": Buttondown,
    "mailchimp": Mailchimp,
    "brevo": Brevo,
    "mailerlite": MailerLite,
}


def utc_text(when: datetime.datetime) -> str:
    """An instant as most providers take it: UTC, ISO 8601, with its Z."""
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def quarter_hour(when: datetime.datetime) -> datetime.datetime:
    """``when``, or the next quarter of an hour after it (Mailchimp schedules on :00, :15, :30 and :45 only)."""
    exact = when.replace(second=0, microsecond=0)
    if exact < when:
        exact += datetime.timedelta(minutes=1)
    return exact + datetime.timedelta(minutes=-exact.minute % 15)
