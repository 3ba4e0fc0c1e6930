"""The newsletter: newsletter.mjml → newsletter.html, newsletter.txt and newsletter.eml.

The HTML is compiled from MJML with mjml-python, then every style rule is
inlined onto its elements with css-inline (mjml-python does not inline
``mj-style inline``), so no client that drops <style> blocks loses the design.
The plain text comes from its own template, from the same parsed script.
"""

from __future__ import annotations

import binascii
import hashlib
import html
import re
import sys
from types import ModuleType
from typing import Any, NamedTuple
from urllib.parse import urljoin

import jinja2
from markupsafe import Markup

from monthlypost.campaign import Campaign
from monthlypost.config import EMAIL_PROVIDERS, Settings, split_url
from monthlypost.errors import MonthlypostError, Problems
from monthlypost.image import COLUMN
from monthlypost.moments import moments
from monthlypost.render import Link, tidy
from monthlypost.words import right_to_left_lines

GMAIL_CLIP_BYTES = 102_000  # Gmail clips a message whose HTML is about this size or more
SUBJECT_MAX = 60
PREHEADER_RANGE = (40, 140)
CTA_BUTTON_MAX = 40  # a longer call to action reads as a sentence, with a button under it
TEXT_WIDTH = 72


class Unsubscribe(NamedTuple):
    """The unsubscribe link in the provider's terms."""

    href: str | None  # the link's address: a merge tag or [email] unsubscribe_url
    element: bool  # Campaign Monitor: <unsubscribe>text</unsubscribe> instead of a link
    text: str  # what the plain-text part carries


def provider_footer(settings: Settings, problems: Problems) -> dict[str, Any] | None:
    """The unsubscribe link and postal address for the provider; a missing one is an error.

    ``unsubscribe`` is None where the provider's template carries the link (Kit's; Buttondown's own), so
    that the subscriber sees one unsubscribe link, not two."""
    provider = settings.email.provider
    tags = EMAIL_PROVIDERS[provider]
    ok = True
    href = tags.unsubscribe if tags.unsubscribe is not None else settings.email.unsubscribe_url
    if settings.unsubscribe_in_template:
        href = ""
    elif href is None:
        problems.error(
            settings.path,
            f'[email] unsubscribe_url: required with provider = "{provider}"; '
            "every newsletter must carry a working unsubscribe link",
        )
        ok = False
    address_html = tags.address
    if address_html is None:
        if settings.author.postal_address is None:
            problems.error(
                settings.path,
                f'[author] postal_address: required with provider = "{provider}"; '
                "a commercial email must carry the sender's postal address",
            )
            ok = False
        else:
            lines = settings.author.postal_address.strip().splitlines()
            address_html = "<br>".join(html.escape(line.strip()) for line in lines)
    if not ok:
        return None
    element = href == "<unsubscribe>"
    return {
        "unsubscribe": Unsubscribe(
            href=None if element else href,
            element=element,
            text=tags.unsubscribe_text or str(href),
        )
        if href
        else None,
        "address_html": Markup(address_html),
        "address_text": tags.address_text or tags.address or settings.author.postal_address,
    }


def own_site_hosts(settings: Settings) -> set[str]:
    hosts = set()
    for url in (settings.author.website, settings.blog.url):
        if url:
            hosts.add(_host(url))
    return hosts


def _host(url: str) -> str:
    parts = split_url(url)
    return ((parts and parts.hostname) or "").lower().removeprefix("www.")


def with_utm(url: str, month: str) -> str:
    """utm_source=newsletter&utm_medium=email&utm_campaign=MONTH added, the existing query kept as it is."""
    parts = split_url(url)
    if parts is None:
        return url
    present = {pair.split("=", 1)[0] for pair in parts.query.split("&") if pair}
    wanted = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": month}
    added = "&".join(f"{key}={value}" for key, value in wanted.items() if key not in present)
    if not added:
        return url
    query = f"{parts.query}&{added}" if parts.query else added
    return parts._replace(query=query).geturl()


def email_context(
    ctx: dict[str, Any], campaign: Campaign, settings: Settings, problems: Problems
) -> dict[str, Any] | None:
    start = len(problems)
    if settings.from_address is None:
        problems.error(
            settings.path,
            "[email] from_address: required to send the newsletter (or set [author] email, its default)",
        )
    footer = provider_footer(settings, problems)
    topic = campaign.topic
    post_url = ctx["post_url"]
    if topic.excerpt is not None and post_url is None:
        problems.error(
            campaign.topic_path,
            "excerpt: the email would link to the full post, but monthlypost.toml has no [blog] url",
        )
    if footer is None or problems.errors_since(start):
        return None

    hosts = own_site_hosts(settings)

    def link(url: str) -> str:
        if settings.email.utm and _host(url) in hosts and url.lower().startswith(("https://", "http://")):
            return with_utm(url, campaign.month)
        return url

    def rewrite(kind: str, url: str) -> str:
        if kind == "image":
            if "://" in url or post_url is None:
                return url
            return urljoin(post_url, url)
        return link(url)

    local_images = [ref for ref in campaign.script.references() if ref.kind == "image" and "://" not in ref.url]
    if local_images and post_url is None:
        for ref in local_images:
            problems.warn(
                campaign.script_path,
                f"line {ref.line}: image '{ref.url}' cannot show in the email; "
                "set [blog] url so it is found beside the published post",
            )

    blocks = campaign.script.excerpt(topic.excerpt) if topic.excerpt else None
    cta = topic.cta
    return {
        **ctx,
        **footer,
        "script_html": Markup(campaign.script.html(blocks, rewrite, most_width=COLUMN)),
        "script_text": campaign.script.text(TEXT_WIDTH, blocks, rewrite),
        "read_more_url": link(post_url) if blocks is not None and post_url else None,
        "cta_button": cta if cta and len(cta) <= CTA_BUTTON_MAX else None,
        "cta_lead": cta if cta and len(cta) > CTA_BUTTON_MAX else None,
        "contact": [Link(c.label, link(c.url), c.text, c.whole) for c in ctx["contact"]],
        "links": [Link(c.label, link(c.url), c.text, c.whole) for c in ctx["links"]],
    }


_VERTICAL_ALIGN = re.compile(r'vertical-align="[a-z]*"(?=[^<>]*>)')  # led by a literal: found at once


def _without_vertical_align(html: str) -> str:
    """Each vertical-align="…" attribute taken out of the tags, with the space before it."""
    kept, end = [], 0
    for found in _VERTICAL_ALIGN.finditer(html):
        start = found.start()
        while start > end and html[start - 1].isspace():
            start -= 1
        if start < found.start() and html[start - 1] == '"':  # an attribute, after another one's value
            kept.append(html[end:start])
            end = found.end()
    return "".join(kept) + html[end:] if kept else html


def compile_mjml(source: str) -> str:
    """MJML → HTML, then every CSS rule that can be inlined put onto its elements."""
    import mjml

    css_inline = _css_inline()
    compiled = mjml.mjml2html(source, disable_comments=True, fonts={})  # no web font: a request on every open
    # mjml-python writes a button's cell a vertical-align attribute, which HTML has not (MJML's own compiler
    # does not): the cell's valign and style already say it
    compiled = _without_vertical_align(compiled)
    inliner = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)
    return inliner.inline(compiled).rstrip("\n") + "\n"


def _css_inline() -> ModuleType:
    """css_inline, imported without the email package it loads only to date its own build.

    Its first import reads ``email.utils.parsedate_to_datetime`` for the
    ``__build__`` details, which costs a one-month build more than a tenth of
    its own work (the email package pulls in socket, calendar and locale).
    Nothing of ours reads ``__build__``, so for the length of that import the
    name finds a stand-in, and is gone again after it. Should a later version
    want more of the email package, the import is simply done again in full.
    """
    if "css_inline" in sys.modules or "email.utils" in sys.modules:
        import css_inline

        return css_inline
    stand_in = ModuleType("email.utils")
    stand_in.parsedate_to_datetime = str  # type: ignore[attr-defined]
    sys.modules["email.utils"] = stand_in
    try:
        import css_inline
    except Exception:  # noqa: BLE001 - whatever went wrong, the plain import says it properly
        sys.modules.pop("css_inline", None)
        sys.modules.pop("css_inline.css_inline", None)
        del sys.modules["email.utils"]
        import css_inline
    finally:
        if sys.modules.get("email.utils") is stand_in:
            del sys.modules["email.utils"]
    return css_inline


def render_email(
    env: jinja2.Environment,
    ctx: dict[str, Any],
    campaign: Campaign,
    settings: Settings,
    problems: Problems,
) -> dict[str, str] | None:
    """newsletter.mjml, .html and .txt; None when the email has errors (they are in ``problems``)."""
    _check_lengths(campaign, problems)
    mail = email_context(ctx, campaign, settings, problems)
    if mail is None:
        return None
    source = env.get_template("newsletter.mjml").render(mail)
    try:
        compiled = compile_mjml(source)
    except ValueError as err:  # what mjml-python raises for MJML it cannot parse
        raise MonthlypostError.at(_template_path(env, "newsletter.mjml"), f"invalid MJML: {err}") from err
    size = len(compiled.encode("utf-8"))
    if size >= GMAIL_CLIP_BYTES:
        problems.error(
            campaign.script_path,
            f"the newsletter's HTML is {size:,} bytes; Gmail clips messages at about 102 KB "
            f"({GMAIL_CLIP_BYTES:,} bytes), hiding the footer and unsubscribe link: shorten the script "
            "or set excerpt in topic.toml",
        )
    text = env.get_template("newsletter.txt").render(mail)
    return {
        "newsletter.mjml": source,
        "newsletter.html": compiled,
        "newsletter.txt": right_to_left_lines(tidy(text)) if mail["direction"] == "rtl" else tidy(text),
    }


def _template_path(env: jinja2.Environment, name: str) -> Any:
    source = env.loader.get_source(env, name) if env.loader else None
    return source[1] if source else name


def _check_lengths(campaign: Campaign, problems: Problems) -> None:
    topic = campaign.topic
    subject_key = "subject" if topic.subject else "title (the subject, as subject is not set)"
    if len(campaign.subject) > SUBJECT_MAX:
        problems.warn(
            campaign.topic_path,
            f"{subject_key}: {len(campaign.subject)} characters; inboxes cut subjects after about {SUBJECT_MAX}",
        )
    low, high = PREHEADER_RANGE
    length = len(campaign.preheader)
    if not low <= length <= high:
        key = "preheader" if topic.preheader else "summary (the preheader, as preheader is not set)"
        advice = "inboxes fill the rest with the email's first words" if length < low else "inboxes cut it short"
        problems.warn(
            campaign.topic_path,
            f"{key}: {length} characters; a preheader reads best at {low}–{high} ({advice})",
        )


def message(settings: Settings, campaign: Campaign, text: str, html_body: str) -> bytes:
    """newsletter.eml: multipart/alternative, the plain text then the HTML, UTF-8 in quoted-printable.

    Written directly rather than through the email package, which takes far
    longer for the same bytes; tests read it back with the email package's
    strict policy. The same inputs always give the same bytes.
    """
    sender = settings.from_address
    assert sender is not None, "email_context() makes a missing sender an error"
    digest = hashlib.sha256((text + html_body).encode("utf-8")).hexdigest()[:20]
    boundary = f"monthlypost-{digest}"
    when = moments(settings, campaign).email  # sent delay_minutes after the post (with publish_at)
    offset = when.strftime("%z")
    reply_to = settings.reply_to
    headers = [
        header("Subject", campaign.subject),
        mailbox("From", settings.from_name, sender),
        # the readers, whom the provider addresses one by one: an empty group (RFC 5322 3.4), as a message to
        # undisclosed recipients has; no To at all is a spam signal (SpamAssassin's MISSING_HEADERS, and
        # REPLYTO_WITHOUT_TO_CC with a Reply-To)
        "To: undisclosed-recipients:;",
        # only where it differs: Reply-To repeating From is a spam signal (SpamAssassin's REPLYTO_WITHOUT_TO_CC)
        *(
            [mailbox("Reply-To", settings.from_name, reply_to)]
            if reply_to and reply_to.lower() != sender.lower()
            else []
        ),
        f"Date: {_DAYS[when.weekday()]}, {when.day:02d} {_MONTHS[when.month - 1]} {when.year} {when:%H:%M:%S} {offset}",
        f"Message-ID: <monthlypost.{campaign.month}.{digest}@{sender.rsplit('@', 1)[-1]}>",
        *list_unsubscribe(settings),
        "X-Mailer: monthlypost",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"',
    ]
    parts = [
        f'--{boundary}\r\nContent-Type: text/{kind}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode("ascii")
        + _quoted_printable(body)
        for kind, body in (("plain", text), ("html", html_body))
    ]
    closing = f"--{boundary}--\r\n".encode("ascii")
    return "\r\n".join(headers).encode("ascii") + b"\r\n\r\n" + b"\r\n".join([*parts, closing])


def list_unsubscribe(settings: Settings) -> list[str]:
    """RFC 2369 and RFC 8058 headers, which Gmail and Yahoo ask of bulk senders, where the address is known
    (provider = "generic"; a mail provider adds its own when it sends)."""
    url = settings.email.unsubscribe_url
    if settings.email.provider != "generic" or not url:
        return []
    one_click = ["List-Unsubscribe-Post: List-Unsubscribe=One-Click"] if url.lower().startswith("https://") else []
    return [f"List-Unsubscribe: <{url}>", *one_click]


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PHRASE = re.compile(rf"{_ATEXT}(?: {_ATEXT})*")  # a name that needs no quotes (RFC 5322 atoms, single spaces)
_FOLD_AT = 76  # header lines are kept within 78 characters


def _quoted_printable(body: str) -> bytes:
    """The body as UTF-8 quoted-printable (RFC 2045), lines ending in CRLF, never longer than 76."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(lines.encode("utf-8"), istext=True)
    return encoded.replace(b"\n", b"\r\n")  # its own soft breaks included


def _encoded_words(text: str, room: int) -> list[str]:
    """RFC 2047 base64 encoded-words for ``text``, each within ``room`` characters, never splitting a character."""
    import base64  # only for a name or subject beyond ASCII

    words, chunk = [], b""
    limit = (room - len("=?utf-8?b??=")) // 4 * 3
    for char in text:
        data = char.encode("utf-8")
        if chunk and len(chunk) + len(data) > limit:
            words.append(chunk)
            chunk = b""
        chunk += data
    words.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words]


def header(name: str, value: str) -> str:
    """An unstructured header (Subject): as it is when it is plain ASCII, else encoded words; folded to fit."""
    room = _FOLD_AT - len(name) - 2
    words = value.split(" ")
    if not (value.isascii() and value.isprintable() and "=?" not in value and max(map(len, words)) <= room):
        words = _encoded_words(value, room)
    return _fold(f"{name}:", words)


def mailbox(label: str, name: str, address: str) -> str:
    """'From: Name <address>', the name as it is, quoted, or encoded as it needs to be."""
    name = name.strip()
    plain = "=?" not in name and len(name) < 60  # '=?' would read as the start of an encoded word
    if plain and _PHRASE.fullmatch(name):
        shown = [name]
    elif plain and name.isascii() and name.isprintable():
        shown = ['"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"']
    else:
        shown = _encoded_words(name, _FOLD_AT - len(label) - 2)
        if len(shown) > 1:  # readers differ on spaces between encoded words in a name: let the email package fold it
            import email.headerregistry
            import email.policy

            policy = email.policy.SMTP
            value = policy.header_factory(label, email.headerregistry.Address(name, addr_spec=address))
            return value.fold(policy=policy).rstrip()
    return _fold(f"{label}:", [*shown, f"<{address}>"] if name else [f"<{address}>"])


def _fold(start: str, words: list[str]) -> str:
    """``start`` and the words, space-separated, starting a new line before a word that would pass 76 columns."""
    lines, line = [], start
    for word in words:
        if len(line) + 1 + len(word) > _FOLD_AT and line.strip() and line != start:
            lines.append(line)
            line = ""
        line += " " + word
    return "\r\n".join([*lines, line])
