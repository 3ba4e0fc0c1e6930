"""The mail providers `email push` puts a draft into, behind one small interface.

Each adapter maps a :class:`Draft` onto its provider's API and back:
``create`` (a draft, never a send or a schedule), ``state`` (draft, sent or
scheduled, or gone), ``update`` (the same draft, while it is one) and
``send_test`` (to a few addresses, where the API can). Requests and their
shapes follow each provider's API reference; the adapters are small on
purpose, and tests/fake_mail.py answers as each provider does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from monthlypost.publish.http import Client, ProviderError, provider_message

DRAFT, SENT, GONE = "draft", "sent or scheduled", "gone"
_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")  # every provider's ids; nothing that could change a request's path


def valid_id(value: Any) -> str | None:
    """``value`` as a draft's id, or None if it is not one (a path, say, from a hand-edited record)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value) if _ID.fullmatch(str(value)) else None


def dig(data: Any, *keys: str) -> Any:
    """data[key][key]…, or None where an answer is not the shape its reference gives."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


@dataclass(frozen=True)
class Draft:
    """What a month's email push sends: the newsletter and who it is from."""

    month: str
    title: str  # the campaign's name where the provider has one: "2024-04 · Why your hip pain…"
    subject: str
    preheader: str
    html: str
    text: str
    from_name: str
    from_address: str
    reply_to: str
    audience: str | None  # [email] list


class Provider:
    name: ClassVar[str]  # as people call it
    key_help: ClassVar[str]  # where its API key is made
    audience: ClassVar[str | None] = None  # what [email] list is for it, when it needs one
    tests: ClassVar[bool] = True  # whether its API sends a test of a draft
    origin: ClassVar[str]  # its API's scheme and host
    auth_header: ClassVar[str] = ""  # "Header: {key}" for the providers that take the key in a header

    def __init__(self, client: Client):
        self.client = client

    @classmethod
    def connect(cls, key: str) -> Provider:
        """The adapter, with a client that authenticates as this provider asks."""
        header, _, value = cls.auth_header.partition(": ")
        return cls(Client(cls.name, cls.origin, {header: value.format(key=key)}))

    def create(self, draft: Draft) -> str:
        raise NotImplementedError

    def state(self, draft_id: str) -> str:
        raise NotImplementedError

    def update(self, draft_id: str, draft: Draft) -> None:
        raise NotImplementedError

    def send_test(self, draft_id: str, addresses: list[str]) -> None:
        raise NotImplementedError

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
        if created is None:
            raise ProviderError(f"{self.name} created the draft but its answer gave no id; look for it in {self.name}")
        return created


class Kit(Provider):
    """Kit (ConvertKit) API v4: broadcasts. No send_at means a draft; content goes into an email template."""

    name = "Kit"
    key_help = "in Kit, Settings → Developer → API keys (a v4 key)"
    origin = "https://api.kit.com"
    auth_header = "X-Kit-Api-Key: {key}"
    tests = False  # Kit's API has no test send
    TEMPLATE = "monthlypost"  # an HTML template whose whole source is {{ message_content }}

    def __init__(self, client: Client):
        super().__init__(client)
        self._template: int | None = None

    def template(self) -> int:
        """The id of Kit's email template named 'monthlypost' (our HTML is the whole email: nothing around it)."""
        if self._template is None:
            _, data = self.client.request("GET", "/v4/email_templates?per_page=1000")
            templates = dig(data, "email_templates")
            found = [
                template
                for template in (templates if isinstance(templates, list) else [])
                if str(dig(template, "name") or "").lower() == self.TEMPLATE and valid_id(dig(template, "id"))
            ]
            if not found:
                raise ProviderError(
                    f"Kit has no email template named '{self.TEMPLATE}'. Make one (Send → Email templates → New "
                    "template → HTML), give it that name and, as its whole HTML, {{ message_content }}: Kit then "
                    "puts the newsletter in it as it is. See the README's 'Publishing the newsletter'"
                )
            self._template = int(found[0]["id"])  # Kit's ids are numbers
        return self._template

    def _body(self, draft: Draft) -> dict[str, Any]:
        return {
            "subject": draft.subject,
            "preview_text": draft.preheader,
            "content": draft.html,
            "description": draft.title,
            "email_template_id": self.template(),
            "email_address": draft.from_address,
            "public": False,
            "send_at": None,
        }

    def create(self, draft: Draft) -> str:
        _, data = self.client.request("POST", "/v4/broadcasts", self._body(draft))
        return self._created_id(data, "broadcast", "id")

    def state(self, draft_id: str) -> str:
        status, data = self.client.request("GET", f"/v4/broadcasts/{draft_id}")
        if status == 404:
            return GONE
        return SENT if self._read(data, "broadcast", kind=dict).get("send_at") else DRAFT

    def update(self, draft_id: str, draft: Draft) -> None:
        self.client.request("PUT", f"/v4/broadcasts/{draft_id}", self._body(draft))


class Buttondown(Provider):
    """Buttondown API v1: emails. status "draft" is always sent: older API versions send otherwise."""

    name = "Buttondown"
    key_help = "in Buttondown, Settings → API → API key"
    origin = "https://api.buttondown.com"
    auth_header = "Authorization: Token {key}"

    def _body(self, draft: Draft) -> dict[str, Any]:
        return {"subject": draft.subject, "body": draft.html, "description": draft.preheader, "status": "draft"}

    def create(self, draft: Draft) -> str:
        _, data = self.client.request("POST", "/v1/emails", self._body(draft))
        return self._created_id(data, "id")

    def state(self, draft_id: str) -> str:
        status, data = self.client.request("GET", f"/v1/emails/{draft_id}")
        if status == 404:
            return GONE
        return DRAFT if self._read(data, "status") == "draft" else SENT

    def update(self, draft_id: str, draft: Draft) -> None:
        self.client.request("PATCH", f"/v1/emails/{draft_id}", self._body(draft))

    def send_test(self, draft_id: str, addresses: list[str]) -> None:
        self.client.request("POST", f"/v1/emails/{draft_id}/send-draft", {"recipients": addresses})


class Mailchimp(Provider):
    """Mailchimp Marketing API 3.0: a regular campaign (status "save" is a draft), its content set apart."""

    name = "Mailchimp"
    key_help = "in Mailchimp, Profile → Extras → API keys"
    audience = "the audience id (Audience → Settings → Audience name and defaults → Audience ID)"

    @classmethod
    def connect(cls, key: str) -> Provider:
        """HTTP Basic with the key as password, at the host of the key's data centre (it ends …-us21)."""
        centre = key.rsplit("-", 1)[-1] if "-" in key else ""
        if not centre.isalnum() or not centre:
            raise ProviderError(
                "MONTHLYPOST_EMAIL_API_KEY does not look like a Mailchimp API key: it ends in its data centre, "
                "like …-us21; copy the whole key from Mailchimp"
            )
        return cls(Client(cls.name, f"https://{centre}.api.mailchimp.com", {}, auth=("monthlypost", key)))

    def _settings(self, draft: Draft) -> dict[str, Any]:
        return {
            "subject_line": draft.subject,
            "preview_text": draft.preheader,
            "title": draft.title,
            "from_name": draft.from_name,
            "reply_to": draft.reply_to,
        }

    def create(self, draft: Draft) -> str:
        body = {"type": "regular", "recipients": {"list_id": draft.audience}, "settings": self._settings(draft)}
        _, data = self.client.request("POST", "/3.0/campaigns", body, self._explain)
        campaign = self._created_id(data, "id")
        self._content(campaign, draft)
        return campaign

    def _content(self, campaign: str, draft: Draft) -> None:
        body = {"html": draft.html, "plain_text": draft.text}
        self.client.request("PUT", f"/3.0/campaigns/{campaign}/content", body, self._explain)

    def state(self, draft_id: str) -> str:
        status, data = self.client.request("GET", f"/3.0/campaigns/{draft_id}")
        if status == 404:
            return GONE
        return DRAFT if self._read(data, "status") == "save" else SENT

    def update(self, draft_id: str, draft: Draft) -> None:
        body = {"recipients": {"list_id": draft.audience}, "settings": self._settings(draft)}
        self.client.request("PATCH", f"/3.0/campaigns/{draft_id}", body, self._explain)
        self._content(draft_id, draft)

    def send_test(self, draft_id: str, addresses: list[str]) -> None:
        body = {"test_emails": addresses, "send_type": "html"}
        self.client.request("POST", f"/3.0/campaigns/{draft_id}/actions/test", body, self._explain)

    def _explain(self, status: int, data: Any) -> str | None:
        said = provider_message(data)
        if status == 400 and "list" in said.lower():
            return f"Mailchimp refused the audience in [email] list (“{said}”); check {self.audience}"
        return None


class Brevo(Provider):
    """Brevo API v3: email campaigns, a draft until scheduled."""

    name = "Brevo"
    key_help = "in Brevo, the account menu → SMTP & API → API keys"
    origin = "https://api.brevo.com"
    auth_header = "api-key: {key}"
    audience = "the id of the contact list (Contacts → Lists: the number beside its name)"

    def _body(self, draft: Draft) -> dict[str, Any]:
        return {
            "name": draft.title,
            "subject": draft.subject,
            "previewText": draft.preheader,
            "htmlContent": draft.html,
            "sender": {"name": draft.from_name, "email": draft.from_address},
            "replyTo": draft.reply_to,
            "recipients": {"listIds": [self._list(draft)]},
        }

    def _list(self, draft: Draft) -> int:
        if not (draft.audience or "").isdigit():
            raise ProviderError(f"[email] list: Brevo takes {self.audience}, not '{draft.audience}'")
        return int(draft.audience or 0)

    def create(self, draft: Draft) -> str:
        _, data = self.client.request("POST", "/v3/emailCampaigns", self._body(draft))
        return self._created_id(data, "id")

    def state(self, draft_id: str) -> str:
        status, data = self.client.request("GET", f"/v3/emailCampaigns/{draft_id}")
        if status == 404:
            return GONE
        return DRAFT if self._read(data, "status") == "draft" else SENT

    def update(self, draft_id: str, draft: Draft) -> None:
        self.client.request("PUT", f"/v3/emailCampaigns/{draft_id}", self._body(draft))

    def send_test(self, draft_id: str, addresses: list[str]) -> None:
        self.client.request("POST", f"/v3/emailCampaigns/{draft_id}/sendTest", {"emailTo": addresses})


class MailerLite(Provider):
    """MailerLite API (connect.mailerlite.com): regular campaigns; custom HTML needs its Advanced plan."""

    name = "MailerLite"
    key_help = "in MailerLite, Integrations → MailerLite API → Generate new token"
    audience = "the id of a subscriber group (Subscribers → Groups: the group's id, in its address)"
    tests = False  # its API sends no test of a campaign
    origin = "https://connect.mailerlite.com"
    auth_header = "Authorization: Bearer {key}"

    def _body(self, draft: Draft) -> dict[str, Any]:
        email = {
            "subject": draft.subject,
            "from_name": draft.from_name,
            "from": draft.from_address,
            "reply_to": draft.reply_to,
            "content": draft.html,
        }
        return {"name": draft.title, "type": "regular", "emails": [email], "groups": [draft.audience]}

    def create(self, draft: Draft) -> str:
        _, data = self.client.request("POST", "/api/campaigns", self._body(draft), self._explain)
        return self._created_id(data, "data", "id")

    def state(self, draft_id: str) -> str:
        status, data = self.client.request("GET", f"/api/campaigns/{draft_id}")
        if status == 404:
            return GONE
        return DRAFT if self._read(data, "data", "status") == "draft" else SENT

    def update(self, draft_id: str, draft: Draft) -> None:
        self.client.request("PUT", f"/api/campaigns/{draft_id}", self._body(draft), self._explain)

    def _explain(self, status: int, data: Any) -> str | None:
        said = provider_message(data)
        if status in (403, 422) and "plan" in said.lower():
            return (
                f"MailerLite takes an email's own HTML through its API only on its Advanced plan (“{said}”). "
                "Paste newsletter.html into a Custom HTML campaign instead: see the README's 'The newsletter'"
            )
        return None


PROVIDERS: dict[str, type[Provider]] = {
    "kit": Kit,
    "buttondown": Buttondown,
    "mailchimp": Mailchimp,
    "brevo": Brevo,
    "mailerlite": MailerLite,
}
