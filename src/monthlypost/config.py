"""monthlypost.toml → a typed, validated :class:`Settings`."""

import contextlib
import os
import re
from collections.abc import Iterable
from dataclasses import field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import SplitResult, urlsplit

from monthlypost.colors import AA, WHITE, contrast
from monthlypost.errors import Problems, quoted
from monthlypost.layout import CONFIG_NAME
from monthlypost.tables import (
    Warn,
    at_least,
    not_empty,
    one_of,
    parse_toml,
    pattern,
    read_table,
    record,
    rule,
    suggest,
    table,
    text_rule,
)
from monthlypost.video import hashtag_problems
from monthlypost.words import SHIPPED, Label, Labels, missing, words


class MergeTags(NamedTuple):
    """How a mail provider fills in the unsubscribe link and the postal address.

    ``unsubscribe`` is the link's address, or ``<unsubscribe>`` for a provider
    whose tag is an element wrapping the link text; None means ``[email]
    unsubscribe_url``. ``address`` None means ``[author] postal_address``.
    The ``*_text`` forms are for the plain-text part, where they differ.
    """

    unsubscribe: str | None
    address: str | None
    unsubscribe_text: str | None = None
    address_text: str | None = None


# SPEC §4 "The email"; the plain-text forms from each provider's own help pages.
EMAIL_PROVIDERS: dict[str, MergeTags] = {
    "mailchimp": MergeTags("*|UNSUB|*", "*|HTML:LIST_ADDRESS_HTML|*", address_text="*|LIST:ADDRESS|*"),
    "kit": MergeTags("{{ unsubscribe_url }}", None),
    "buttondown": MergeTags("{{ unsubscribe_url }}", None),
    # MailerLite adds its own footer to custom HTML that lacks its unsubscribe tag and the account's name, address
    # and country tags; filled in from the account's company details (Account settings → Company profile).
    "mailerlite": MergeTags(
        "{$unsubscribe}",
        "{$account}<br>{$account_address}<br>{$account_country}",
        address_text="{$account}\n{$account_address}\n{$account_country}",
    ),
    "brevo": MergeTags("{{ unsubscribe }}", None),
    "sendgrid": MergeTags("{{{unsubscribe}}}", None),
    "mailjet": MergeTags("[[UNSUB_LINK_EN]]", None),
    "campaign-monitor": MergeTags("<unsubscribe>", None, unsubscribe_text="[unsubscribe]"),
    "generic": MergeTags(None, None),
}
SMTP_SECURITY = ("starttls", "ssl", "none")
BLOG_PLATFORMS = ("wordpress", "ghost")
# The template a provider puts the newsletter in: Kit's by name (an HTML template the author makes once, see the
# README), Buttondown's one of its own ("naked": none, the newsletter as it is; a Buttondown Plus feature).
KIT_TEMPLATE = "monthlypost"
BUTTONDOWN_TEMPLATES = ("naked", "classic", "modern", "plaintext")

# --- Value rules -----------------------------------------------------------------

# Each read in one pass, whatever the value (none of them backtracks): the host's dot, and an address's
# length, are checked apart.
_URL = re.compile(r"https?://[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)
URL_MOST = 2048  # characters: what browsers and mail clients take as one address
# Addresses as mail software takes them: no spaces, quotes, brackets or other characters a header treats specially.
_ADDRESS_PART = r"[^\s@<>()\[\]\\,;:\"]+"
_DOMAIN_LABEL = r"[^\s@<>()\[\]\\,;:\".]+"
EMAIL_ADDRESS = re.compile(rf"{_ADDRESS_PART}@(?:{_DOMAIN_LABEL}\.)+{_DOMAIN_LABEL}")
EMAIL_MOST = 254  # characters: the longest address mail takes (RFC 5321)
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_LANGUAGE = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*")


def split_url(url: str) -> SplitResult | None:
    """urlsplit, or None for an address it cannot take apart (an unclosed '[' in the host, a bad port)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return None
    return parts


def web_address(url: str) -> Iterable[str]:
    """An absolute http(s) address; plain http:// is only a warning."""
    if len(url) > URL_MOST:
        yield f"{quoted(url)} is too long for a web address (at most {URL_MOST:,} characters)"
        return
    parts = split_url(url)
    if not _URL.fullmatch(url) or parts is None or not parts.hostname or "." not in parts.hostname:
        yield f"{quoted(url)} is not an absolute web address (https://…)"
    elif not url.lower().startswith("https://"):
        yield Warn(f"{quoted(url)} is not https://; browsers and mail clients may flag it")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def api_address(url: str) -> Iterable[str]:
    """A service's address that a password or key is sent to: https://, or http:// on this machine only."""
    if len(url) > URL_MOST:
        yield f"{quoted(url)} is too long for a web address (at most {URL_MOST:,} characters)"
        return
    parts = split_url(url)
    host = parts.hostname if parts else None
    if not _URL.fullmatch(url) or not host or ("." not in host and host not in LOOPBACK):
        yield f"{quoted(url)} is not an absolute web address (https://…)"
    elif parts is not None and parts.scheme != "https" and host not in LOOPBACK:
        yield f"{quoted(url)} is not https://, so your password or key would cross the network unencrypted"


def accent_color(color: str) -> Iterable[str]:
    if not _COLOR.fullmatch(color):
        yield f"{quoted(color)} is not a colour like #2a7ab0"
        return
    ratio = contrast(color, WHITE)
    if ratio < AA:
        yield Warn(
            f"'{color}' has a contrast of {ratio:.1f}:1 with white, under the 4.5:1 that WCAG asks of text: links "
            "in it, and white text on it (the email's buttons), are hard to read; choose a darker colour"
        )


def time_zone(name: str) -> Iterable[str]:
    """An IANA time zone name, like 'America/Los_Angeles' (Windows has its names from the tzdata package)."""
    if name == "UTC":
        return
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        yield f"{quoted(name)} is not a time zone; use a name like 'America/Los_Angeles' or 'Europe/Paris'"


def email_address(value: str) -> Iterable[str]:
    if len(value) > EMAIL_MOST or not EMAIL_ADDRESS.fullmatch(value):
        yield f"{quoted(value)} is not an email address"


def categories(names: list[str]) -> Iterable[str]:
    for name in names:
        if not name.strip():
            yield "a category's name must not be empty"


def port_number(value: int) -> Iterable[str]:
    if not 0 < value < 65536:
        yield f"{value} is not a port number (1–65535)"


BLOG_URL_FIELDS = ("slug", "year", "month")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(BLOG_URL_FIELDS) + r")\}")
_BRACED = re.compile(r"\{([^{}]*)\}")


def blog_url(url: str) -> Iterable[str]:
    yield from web_address(url)
    rest = _PLACEHOLDER.sub("", url)
    for name in _BRACED.findall(rest):
        yield f"unknown placeholder {{{name}}}; use {{slug}}, {{year}} or {{month}}"
    if re.search(r"[{}]", _BRACED.sub("", rest)):
        yield "a '{' or '}' that opens or closes no placeholder; use {slug}, {year} or {month}"


# --- The settings ------------------------------------------------------------------


def phone_country(code: str) -> Iterable[str]:
    from monthlypost.phones import is_country

    if not is_country(code):
        yield f"{quoted(code)} is not a country code like 'US', 'GB' or 'DE' (ISO 3166, two capital letters)"


def phone_problems(author: "Author") -> Iterable[str]:
    """Why the phone's tel: link might not dial from everywhere."""
    if author.phone is None or re.sub(r"[^\d+]", "", author.phone).startswith("+"):
        return
    if author.phone_country is None:
        yield (
            f"[author] phone: {quoted(author.phone)} has no country code, so its tel: link dials it only from a "
            'phone in the same country; set [author] phone_country = "US" (yours), or write it as +1 …'
        )
        return
    from monthlypost.phones import number

    if not number(author.phone, author.phone_country).possible:
        yield f"[author] phone: {quoted(author.phone)} is not a phone number in {author.phone_country}"


@table
class Author:
    """[author]: who the newsletter and the post are from, and how to reach them."""

    name: str = field(metadata=rule(not_empty))
    email: str | None = field(default=None, metadata=rule(email_address))
    phone: str | None = None
    phone_vanity: str | None = None
    phone_country: str | None = field(default=None, metadata=rule(phone_country))  # 'US': phone's country

    @cached_property  # read once a run, however many months show it
    def dialled(self) -> str | None:
        """The phone number as a tel: link dials it: E.164, +18786887378, where its country is known (written
        with its +country code, or from phone_country); else its digits as written."""
        if self.phone is None:
            return None
        digits = re.sub(r"[^\d+]", "", self.phone)
        if digits.startswith("+") or self.phone_country is None:
            return digits
        from monthlypost.phones import number

        return number(self.phone, self.phone_country).dialled or digits

    website: str | None = field(default=None, metadata=rule(web_address))
    postal_address: str | None = field(default=None, metadata=rule(lines="many"))
    language: str = field(default="en", metadata=rule(pattern(_LANGUAGE, "a language tag like 'en' or 'en-US'")))
    timezone: str = field(default="UTC", metadata=rule(time_zone))


@table
class Blog:
    """[blog]: where the posts are published."""

    url: str | None = field(default=None, metadata=rule(blog_url))
    platform: str | None = field(default=None, metadata=rule(one_of(BLOG_PLATFORMS)))  # for blog push
    api_url: str | None = field(default=None, metadata=rule(api_address))  # the site's root, for blog push
    categories: list[str] = field(default_factory=list, metadata=rule(categories))  # WordPress's, by name

    def post_url(self, slug: str, month: str) -> str | None:
        if self.url is None:
            return None
        from urllib.parse import quote

        year, mm = month.split("-")
        values = {"slug": quote(slug, safe="-"), "year": year, "month": mm}  # a slug in Arabic: %D9%84%D9…
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.url)

    @property
    def archive_url(self) -> str | None:
        """Where dist/ is served: [blog] url up to the folder its first placeholder is in.

        'https://example.com/blog/{slug}/' → 'https://example.com/blog/': the
        archive (index.html, the feeds, the sitemap) is served from there.
        """
        if self.url is None:
            return None
        from urllib.parse import urlsplit, urlunsplit

        fixed = urlsplit(self.url[: m.start()] if (m := _PLACEHOLDER.search(self.url)) else self.url)
        folder = fixed.path[: fixed.path.rfind("/") + 1] or "/"
        return urlunsplit((fixed.scheme, fixed.netloc, folder, "", ""))

    def file_url(self, slug: str, month: str, name: str) -> str | None:
        """The address of a month's output file (its image): beside the published post, as script.md's own
        images are (a page bundle, or dist/'s month folder served as the post's folder)."""
        from urllib.parse import urljoin

        post = self.post_url(slug, month)
        return urljoin(post, name) if post else None


@table
class Email:
    """[email]: the newsletter's provider, sender and look."""

    provider: str = field(default="generic", metadata=rule(one_of(EMAIL_PROVIDERS)))
    from_name: str | None = None
    from_address: str | None = field(default=None, metadata=rule(email_address))
    reply_to: str | None = field(default=None, metadata=rule(email_address))
    unsubscribe_url: str | None = field(default=None, metadata=rule(web_address))
    accent_color: str = field(default="#2a7ab0", metadata=rule(accent_color))
    utm: bool = False
    delay_minutes: int = field(default=10, metadata=rule(at_least(0, "a number of minutes, 0 or more")))
    template: str | None = field(default=None, metadata=rule(not_empty))  # Kit's template name, Buttondown's kind
    # last: the name shadows the builtin in this class's body (annotations here are evaluated)
    list: str | int | None = None  # for email push: the Mailchimp audience, the Brevo list, the MailerLite group


@table
class YouTube:
    """[youtube]: the description's extras, and the login and quota for youtube push."""

    category_id: str | None = field(default=None, metadata=rule(pattern(re.compile(r"[0-9]+"), 'a number like "26"')))
    hashtags: list[str] = field(default_factory=list, metadata=rule(hashtag_problems))
    footer: str | None = field(default=None, metadata=rule(lines="many"))
    client_secrets: str = "client_secret.json"
    token_file: str | None = None
    daily_quota: int = field(default=10_000, metadata=rule(at_least(1, "a positive number of units")))


@table
class Smtp:
    """[smtp]: the server that send-test sends through."""

    host: str = field(metadata=rule(not_empty))
    port: int = field(default=587, metadata=rule(port_number))
    security: str = field(default="starttls", metadata=rule(one_of(SMTP_SECURITY)))
    username: str | None = None


@table
class Settings:
    """monthlypost.toml, section for section (SPEC §2)."""

    root: Path
    author: Author
    links: dict[str, str] = field(default_factory=dict)
    blog: Blog = field(default_factory=Blog)
    email: Email = field(default_factory=Email)
    youtube: YouTube = field(default_factory=YouTube)
    smtp: Smtp | None = None
    labels: Labels = field(default_factory=Labels)

    @cached_property
    def words(self) -> dict[str, Label]:
        """The outputs' fixed words, in the author's language and wording."""
        return words(self.author.language, self.labels)

    @property
    def path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def from_name(self) -> str:
        return self.email.from_name or self.author.name

    @property
    def from_address(self) -> str | None:
        return self.email.from_address or self.author.email

    @property
    def reply_to(self) -> str | None:
        return self.email.reply_to or self.from_address

    @property
    def mail_template(self) -> str | None:
        """The provider's template the newsletter is put in: Kit's by name, Buttondown's kind; None elsewhere."""
        if self.email.provider == "kit":
            return self.email.template or KIT_TEMPLATE
        if self.email.provider == "buttondown":
            return self.email.template or "naked"
        return None

    @property
    def unsubscribe_in_template(self) -> bool:
        """Whether the provider's template carries the unsubscribe link, so the newsletter must not carry a second:
        Kit's (an HTML template must hold one, Kit refuses it otherwise), and Buttondown's own but "naked"."""
        return self.email.provider == "kit" or self.mail_template in BUTTONDOWN_TEMPLATES[1:]

    def resolve(self, relative: str) -> Path:
        """A path named in monthlypost.toml, relative to the workspace (~ is the home folder)."""
        path = Path(relative)
        with contextlib.suppress(RuntimeError):  # ~user for a user that does not exist: taken as written
            path = path.expanduser()
        return Path(os.path.abspath(self.root / path))


SECTIONS: dict[str, type] = {
    "author": Author,
    "links": dict,
    "blog": Blog,
    "email": Email,
    "youtube": YouTube,
    "smtp": Smtp,
    "labels": Labels,
}


def read_settings(root: Path, source: bytes, problems: Problems) -> Settings | None:
    """monthlypost.toml's bytes (read once by the workspace, which also hashes them) as Settings."""
    path = root / CONFIG_NAME
    start = len(problems)
    data = parse_toml(source, path, problems)
    if data is None:
        return None
    for name, value in data.items():
        if name not in SECTIONS:
            if isinstance(value, dict):
                hint = suggest(name, SECTIONS, "[{}]") or "; sections are " + ", ".join(f"[{k}]" for k in SECTIONS)
                problems.error(path, f"unknown section [{name}]{hint}")
            else:
                problems.error(path, f"unknown key '{name}' outside any section{suggest(name, SECTIONS, '[{}]')}")
        elif not isinstance(value, dict):
            problems.error(path, f"[{name}] must be a section (a table), not a single value")
    if "author" not in data:
        problems.error(path, '[author] section: required, with at least name = "…"')
    sections = {name: value for name, value in data.items() if name in SECTIONS and isinstance(value, dict)}
    parts: dict[str, Any] = {
        name: read_table(cls, sections[name], path, problems, name)
        for name, cls in SECTIONS.items()
        if name in sections and cls is not dict
    }
    parts["links"] = read_links(sections.get("links", {}), path, problems)
    if "email" in parts and parts["email"] is not None:
        check_template(parts["email"], path, problems)
    if problems.errors_since(start):
        return None
    settings = Settings(root=root, **parts)
    for finding in phone_problems(settings.author):
        problems.warn(path, finding)
    if left := missing(settings.author.language, settings.labels):
        problems.warn(
            path,
            f"[author] language: monthlypost has no words of its own in '{settings.author.language}' (it has "
            f"{', '.join(SHIPPED)}); {len(left)} of the outputs' fixed words stay English until [labels] sets "
            f"them: {', '.join(left)}",
        )
    return settings


def check_template(email: Email, path: Path, problems: Problems) -> None:
    """[email] template: a Kit template's name, one of Buttondown's, and for no other provider."""
    if email.template is None:
        return
    if email.provider == "buttondown" and email.template not in BUTTONDOWN_TEMPLATES:
        listed = ", ".join(f'"{t}"' for t in BUTTONDOWN_TEMPLATES)
        problems.error(path, f'[email] template: Buttondown\'s are {listed}, not "{email.template}"')
    elif email.provider not in ("kit", "buttondown"):
        problems.error(
            path,
            f"[email] template: only Kit and Buttondown put the newsletter in a template of theirs; "
            f'with provider = "{email.provider}" remove it',
        )


def read_links(table: dict[str, Any], path: Path, problems: Problems) -> dict[str, str]:
    links = {}
    for name, url in table.items():
        if not isinstance(url, str):
            problems.error(path, f"[links] {name}: expected a web address in quotes")
            continue
        name_findings = list(text_rule(name))
        label = f"[links] {name!r}" if name_findings else f"[links] {name}"
        record([*name_findings, *web_address(url)], path, label, problems)
        links[name] = url
    return links
