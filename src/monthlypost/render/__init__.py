"""Rendering a month: the Jinja environment and the context every output shares.

Templates come from the workspace's ``templates/`` first, then the defaults
shipped in the package. ``default/NAME`` always means the shipped one, so an
override can ``{% extends "default/post.html" %}`` and change one block.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from monthlypost import __version__
from monthlypost.campaign import Campaign
from monthlypost.colors import TINT, readable_on
from monthlypost.config import Settings
from monthlypost.errors import Problem
from monthlypost.layout import DEFAULT_TEMPLATES
from monthlypost.markup import escape_markdown, fill, markdown_url
from monthlypost.paths import without_controls
from monthlypost.sources import Templates
from monthlypost.video import embed_url, hashtag_name, once, thumbnail_url, watch_url


class Loader(jinja2.BaseLoader):
    """Templates from :class:`Templates`, which reads each file once, confined to its folder, and notes
    which ones a month used (Jinja asks ``uptodate`` each time it reuses a compiled template)."""

    def __init__(self, sources: Templates):
        self.sources = sources

    def get_source(self, environment: jinja2.Environment, name: str) -> tuple[str, str, Callable[[], bool]]:
        template = self.sources.find(name)
        if template is None:
            raise jinja2.TemplateNotFound(name)
        return template.text, str(template.path), lambda: self.sources.find(name) is template


def environment(sources: Templates, cache: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """The templates' environment: Jinja's sandbox, as a workspace's templates are untrusted.

    A template can lay out and format what it is given, but not reach Python's
    internals through it (``cycler.__init__.__globals__``, ``''.__class__``…),
    which would let a workspace's own template read, write or run anything.
    The context holds plain values only (see :func:`context`).
    """
    env = SandboxedEnvironment(
        loader=Loader(sources),
        bytecode_cache=cache,
        auto_reload=True,  # so Jinja asks the loader's uptodate, which records the template as used
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "mjml", "xml"], default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yaml"] = yaml_scalar
    env.filters["md"] = escape_markdown
    env.filters["md_url"] = markdown_url
    env.filters["wrap"] = fill
    env.filters["long_date"] = lambda d: f"{d:%B} {d.day}, {d.year}"
    return env


def tidy(text: str) -> str:
    """No control characters, no trailing spaces, never two blank lines in a row."""
    text = without_controls(text.replace("\t", " "))
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def template_problem(err: jinja2.TemplateError, workspace_templates: Path) -> Problem:
    """A template's own mistake, named by the template file and line."""
    if isinstance(err, jinja2.TemplateSyntaxError) and err.filename:
        return Problem(Path(err.filename), f"line {err.lineno}: {err.message}")
    message = str(err.message)
    if isinstance(err, jinja2.TemplateNotFound):
        message = f"no template named '{err.name}' (in templates/ or the defaults)"
    import traceback

    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        path = Path(frame.filename)
        if path.is_relative_to(workspace_templates) or path.is_relative_to(DEFAULT_TEMPLATES):
            return Problem(path, f"line {frame.lineno}: {message}")
    return Problem(workspace_templates, message)


def yaml_scalar(value: Any) -> str:
    """A YAML value that reads back as written (YAML is a superset of JSON)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False)


class Link(NamedTuple):
    label: str
    url: str
    written: str = ""  # how people read it, where that is not just the address

    @property
    def text(self) -> str:
        """As people read it: as written, else the address without its scheme."""
        return self.written or re.sub(r"^(https?://|mailto:|tel:)", "", self.url).rstrip("/")

    @property
    def is_web(self) -> bool:
        return self.url.startswith(("https://", "http://"))


_BRANDS = {
    "youtube": "YouTube",
    "linkedin": "LinkedIn",
    "tiktok": "TikTok",
    "github": "GitHub",
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
}


def link_label(key: str) -> str:
    """A [links] key as a label: known names spelled properly; keys with capitals kept as written."""
    if key != key.lower():
        return key
    return _BRANDS.get(key, key.replace("_", " ").replace("-", " ").capitalize())


def contact_links(settings: Settings) -> list[Link]:
    """How to reach the author: phone, email, website, in that order."""
    author = settings.author
    contact = []
    if author.phone:
        digits = re.sub(r"[^\d+]", "", author.phone)
        shown = f"{author.phone} ({author.phone_vanity})" if author.phone_vanity else author.phone
        contact.append(Link("Phone", f"tel:{digits}", shown))
    if author.email:
        contact.append(Link("Email", f"mailto:{author.email}"))
    if author.website:
        contact.append(Link("Website", author.website))
    return contact


def other_links(settings: Settings) -> list[Link]:
    """[links], without any address already given as contact."""
    seen = {_same(link.url) for link in contact_links(settings)}
    links = []
    for key, url in settings.links.items():
        if _same(url) not in seen:
            seen.add(_same(url))
            links.append(Link(link_label(key), url))
    return links


def _same(url: str) -> str:
    return url.lower().rstrip("/")


def merged_hashtags(campaign: Campaign, settings: Settings) -> list[str]:
    """The month's hashtags, then the workspace's, each once (compared without case)."""
    return once([*campaign.hashtags, *(hashtag_name(t) or t for t in settings.youtube.hashtags)])


def published(settings: Settings, campaign: Campaign) -> datetime.datetime:
    """When the month is published: its date at 9 in the morning, in the author's time zone."""
    zone: datetime.tzinfo = datetime.UTC
    if settings.author.timezone != "UTC":
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(settings.author.timezone)
    return datetime.datetime.combine(campaign.publish_date, datetime.time(9, 0), tzinfo=zone)


# The country Open Graph pairs with a language written alone (its og:locale is language_COUNTRY).
_COUNTRIES = {
    "en": "US",
    "ja": "JP",
    "zh": "CN",
    "ko": "KR",
    "sv": "SE",
    "da": "DK",
    "el": "GR",
    "he": "IL",
    "uk": "UA",
    "cs": "CZ",
    "vi": "VN",
    "hi": "IN",
    "ar": "AR",
    "fa": "IR",
    "nb": "NO",
    "ca": "ES",
}


def og_locale(language: str) -> str:
    """A language tag as Open Graph writes it: 'en' → 'en_US', 'en-GB' → 'en_GB', 'zh-Hant-TW' → 'zh_TW'."""
    parts = language.split("-")
    base = parts[0].lower()
    region = next((p.upper() for p in parts[1:] if len(p) == 2 or p.isdigit()), None)
    return f"{base}_{region or _COUNTRIES.get(base, base.upper())}"


def context(settings: Settings, campaign: Campaign) -> dict[str, Any]:
    """Everything a template may use. Templates see plain values, never files."""
    vid = campaign.video_id
    topic = campaign.topic
    accent = settings.email.accent_color
    post_url = settings.blog.post_url(campaign.slug, campaign.month)
    return {
        "version": __version__,
        "month": campaign.month,
        "language": settings.author.language,
        "locale": og_locale(settings.author.language),
        "accent_color": accent,
        "accent_on_tint": readable_on(accent, TINT),  # links and timestamps on the tinted panels
        "tint_color": TINT,
        "title": campaign.title,
        "summary": topic.summary,
        "subject": campaign.subject,
        "preheader": campaign.preheader,
        "key_points": topic.key_points,
        "keywords": topic.keywords,
        "chapters": campaign.chapters,
        "hashtags": merged_hashtags(campaign, settings),
        "cta": topic.cta,
        "slug": campaign.slug,
        "date": campaign.publish_date,
        "published": published(settings, campaign),
        "duration": campaign.duration,
        "post_url": post_url,
        "post_path": urlsplit(post_url).path if post_url else None,
        "video": {
            "id": vid,
            "url": watch_url(vid),
            "embed_url": embed_url(vid),
            "thumbnail": thumbnail_url(vid),
        },
        "author": settings.author,
        "contact": contact_links(settings),
        "links": other_links(settings),
        "youtube_footer": settings.youtube.footer,
        "script_html": Markup(campaign.script.html()),
    }
