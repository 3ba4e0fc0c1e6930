"""Rendering a month: the Jinja environment and the context every output shares.

Templates come from the workspace's ``templates/`` first, then the defaults
shipped in the package. ``default/NAME`` always means the shipped one, so an
override can ``{% extends "default/post.html" %}`` and change one block.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import re
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import MAX_RANGE, SandboxedEnvironment, SecurityError
from markupsafe import Markup

from monthlypost import __version__
from monthlypost.campaign import Campaign
from monthlypost.colors import TINT, readable_on
from monthlypost.config import Settings
from monthlypost.errors import Problem
from monthlypost.image import EMAIL, SHARE
from monthlypost.layout import DEFAULT_TEMPLATES
from monthlypost.markup import escape_alt, escape_markdown, fill, markdown_url
from monthlypost.paths import without_controls
from monthlypost.sources import Templates
from monthlypost.video import embed_url, hashtag_name, once, thumbnail_url, watch_url
from monthlypost.words import long_date, writing_direction


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


NUMBER_BITS = 4096  # the largest number a template may make (1,233 digits): 7 ** 999999999 would take hours
TEXT_MOST = 2**22  # the most text a template may make or hold at once: a largest script's HTML, four times over
RENDER_SECONDS = 5  # for a month's templates: a loop that never ends is stopped
TOO_LONG = f"a text or list too long to make (over {TEXT_MOST:,} characters or items)"
TOO_MUCH = f"given a text or list too long to work on (over {TEXT_MOST:,} characters or items)"
WRITES_TOO_MUCH = f"writes more than {TEXT_MOST:,} characters"
# A width or precision of a million or more in a format ('%9999999d', '{:>9999999}'): a text that long.
_WIDE_FORMAT = re.compile(r"%[-#0 +]*(?:[0-9]{7,}|[0-9]*\.[0-9]{7,})|\{[^{}]*:[^{}]*[0-9]{7,}[^{}]*\}")
# What takes ints that say how much it makes, and the most each may say (indent's width is made once even
# where there is no line; lipsum makes its paragraphs of words one word at a time)
_MOST = {
    **dict.fromkeys(("center", "ljust", "rjust", "zfill", "indent"), TEXT_MOST),
    **dict.fromkeys(("batch", "slice"), MAX_RANGE),
    **dict.fromkeys(("lipsum", "generate_lorem_ipsum"), 1000),
}


# What a template compiles to, by name (in the compiled-template cache's): changed with _Generator or
# Sandbox._parse, so that code compiled before is never run.
COMPILED = "sandboxed-bounded-ticking"


class TemplateTimeout(Exception):
    """A month's templates ran past their time (see render_budget)."""


class _Generator(CodeGenerator):
    """Jinja's compiler, with what a template writes into a macro, block or {% set %} counted as it goes, and
    a ~ b checked like a + b."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.Output()")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.sized(")
        super().visit_Concat(node, frame)
        self.write(")")


class _Output(list):  # type: ignore[type-arg]
    """What a macro, block or {% set %} writes, refused as soon as it is too long."""

    size = 0

    def append(self, piece: str) -> None:
        self.size += len(piece)
        if self.size > TEXT_MOST:
            raise SecurityError(WRITES_TOO_MUCH)
        super().append(piece)

    def extend(self, pieces: Iterable[str]) -> None:
        for piece in pieces:
            self.append(piece)


class Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, refusing also what would take a template hours or gigabytes to compute: a number of
    more than NUMBER_BITS bits, a text or list of more than TEXT_MOST characters or items, from an operator,
    a filter, a method, a format, a ~ or the template's own output. Each is refused before it is made where
    its arguments say how large it would be, and otherwise just after (so that the most ever made is what
    one operation on at most TEXT_MOST makes, in well under a second)."""

    intercepted_binops = frozenset({"**", "*", "+", "%"})
    code_generator_class = _Generator
    Output = _Output  # what the compiled templates write into (see _Generator)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and _int(left) and _int(right) and right > 0 and abs(left) > 1:
            if right * abs(left).bit_length() > NUMBER_BITS:
                raise SecurityError(f"{left} ** {right} is a number too large to make (over {NUMBER_BITS:,} bits)")
        elif operator == "*" and _int(left) and _int(right):
            if left.bit_length() + right.bit_length() > NUMBER_BITS:
                raise SecurityError(f"a number too large to make (over {NUMBER_BITS:,} bits)")
        elif operator == "*":
            held, times = (left, right) if _int(right) else (right, left)
            if _int(times) and _weight(held) * times > TEXT_MOST:
                raise SecurityError(TOO_LONG)
        elif operator == "+":
            if _weight(left) + _weight(right) > TEXT_MOST:
                raise SecurityError(TOO_LONG)
        elif operator == "%" and isinstance(left, str):
            _checked("%", left, (right,))
        return self.sized(lambda: super(Sandbox, self).call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - as Jinja's
        __self.tick()
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)  # a method's (str.format's too)
        _checked(getattr(__obj, "__name__", ""), owner, (*args, *kwargs.values()))
        return __self.sized(lambda: SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs))

    def concat(self, pieces: Iterable[str]) -> str:  # type: ignore[override] # a template's, a block's output
        kept, size = [], 0
        for piece in pieces:
            size += len(piece)
            if size > TEXT_MOST:
                too_much = SecurityError(WRITES_TOO_MUCH)
                if isinstance(pieces, Generator):  # raised where the template is, so that its line is named
                    pieces.throw(too_much)
                raise too_much
            kept.append(piece)
        return "".join(kept)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The template's syntax tree, with each loop stepping through Sandbox.ticking."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            ticking = nodes.EnvironmentAttribute("ticking", lineno=loop.iter.lineno)
            loop.iter = nodes.Call(ticking, [loop.iter], [], None, None, lineno=loop.iter.lineno)
        return tree

    def ticking(self, items: Iterable[Any]) -> Iterator[Any]:
        """A loop's items, the clock looked at before each (see render_budget)."""
        for item in items:
            self.tick()
            yield item

    @staticmethod
    def tick() -> None:
        """TemplateTimeout, once this thread's render_budget is spent."""
        deadline = getattr(_budget, "deadline", None)
        if deadline is not None and time.monotonic() > deadline:
            raise TemplateTimeout(f"still running after {_budget.seconds:g} seconds")

    @staticmethod
    def sized(made: Any) -> Any:
        """What ``made`` makes (or is), if not too long, nor too large for memory."""
        try:
            value = made() if callable(made) else made
        except MemoryError:
            raise SecurityError(TOO_LONG) from None
        if isinstance(value, (str, list, tuple)) and len(value) > TEXT_MOST:
            raise SecurityError(TOO_LONG)
        return value


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _weight(value: Any) -> int:
    """The characters and items a value holds, lists' and dicts' counted all the way down (a list holding
    one long text a thousand times is a thousand long texts to join); counting stops past TEXT_MOST."""
    if isinstance(value, str):  # what nearly every filter is given
        return len(value)
    total, todo = 0, [value]
    while todo and total <= TEXT_MOST:
        item = todo.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            todo.extend(item)
        elif isinstance(item, dict):
            total += len(item)
            todo.extend(item.keys())
            todo.extend(item.values())
    return total


def _checked(name: str, owner: Any, args: tuple[Any, ...]) -> None:
    """A filter, method or operator ``name`` on ``owner`` (the text or list it works on), refused before it
    runs when its arguments say it would make too much."""
    if any(_weight(a) > TEXT_MOST for a in (owner, *args)):
        raise SecurityError(TOO_MUCH)
    big = next((a for a in args if _int(a) and a > _MOST.get(name, a)), None)
    if big is not None:
        raise SecurityError(f"{name}(…{big:,}…) would make too much; it takes at most {_MOST[name]:,}")
    text = owner if isinstance(owner, str) else ""
    makes = 0
    if name in ("format", "format_map", "%"):
        if _WIDE_FORMAT.search(text):
            raise SecurityError(f"a width or precision of a million or more: {TOO_LONG}")
        fields = text.count("{") + text.count("%")  # each may repeat the longest argument
        makes = len(text) + fields * max((_weight(a) for a in args), default=0)
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        makes = len(text) + (text.count(args[0]) if args[0] else len(text) + 1) * len(args[1])
    elif name == "join":  # between.join(items), or the filter: items|join(between)
        if isinstance(owner, str):
            items, between = (args[0] if args else ()), owner
        else:
            items, between = owner, (args[0] if args else "")
        makes = _weight(items) + (len(items) if hasattr(items, "__len__") else 0) * len(str(between))
    elif name in ("indent", "expandtabs"):
        width = args[0] if args else (4 if name == "indent" else 8)
        each = width if _int(width) else len(str(width))
        makes = len(text) + text.count("\n" if name == "indent" else "\t") * each
    if makes > TEXT_MOST:
        raise SecurityError(TOO_LONG)


def _bounded(f: Callable[..., Any], name: str) -> Callable[..., Any]:
    """A filter, refused like a method (see _checked) before it runs, and after if what it made is too long."""

    @functools.wraps(f)  # keeps what Jinja reads from it (pass_context…)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        Sandbox.tick()
        given = [a for a in args if not isinstance(a, (Context, EvalContext, jinja2.Environment))]
        _checked(name, given[0] if given else None, (*given[1:], *kwargs.values()))
        return Sandbox.sized(lambda: f(*args, **kwargs))

    return bounded


_budget = threading.local()  # this thread's render_budget: its deadline, while one is on


@contextlib.contextmanager
def render_budget(seconds: float | None = None) -> Iterator[None]:
    """The templates rendered meanwhile in this thread stopped after ``seconds`` (RENDER_SECONDS), with
    TemplateTimeout raised where they are: a loop that would run for hours
    ({% for a in range(99999) %}{% for b in range(99999) %}…) ends.

    A template can keep working only by looping or calling (a macro, a filter, a function); each loop's
    step and each call looks at the clock (see Sandbox.tick), so nothing is traced and a template that
    keeps to its time runs as fast as ever.
    """
    seconds = RENDER_SECONDS if seconds is None else seconds
    _budget.deadline, _budget.seconds = time.monotonic() + seconds, seconds
    try:
        yield
    finally:
        del _budget.deadline


def environment(sources: Templates, cache: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """The templates' environment: Jinja's sandbox, as a workspace's templates are untrusted.

    A template can lay out and format what it is given, but not reach Python's
    internals through it (``cycler.__init__.__globals__``, ``''.__class__``…),
    which would let a workspace's own template read, write or run anything.
    The context holds plain values only (see :func:`context`).

    A workspace without a templates/ folder renders only monthlypost's own
    templates, which no workspace can make hostile: they run in Jinja's plain
    environment, without the sandbox's checks on every call, loop and value (a
    tenth of a month's rendering). ``sources`` then never looks in the
    workspace, so a template that appears there meanwhile is used, sandboxed,
    from the next run on.
    """
    options: dict[str, Any] = {
        "loader": Loader(sources),
        "bytecode_cache": cache,
        "auto_reload": True,  # so Jinja asks the loader's uptodate, which records the template as used
        "undefined": jinja2.StrictUndefined,
        "autoescape": jinja2.select_autoescape(["html", "mjml", "xml"], default_for_string=False),
        "keep_trailing_newline": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    trusted = sources.workspace is None
    env = jinja2.Environment(**options) if trusted else Sandbox(**options)
    env.filters["yaml"] = yaml_scalar
    env.filters["md"] = escape_markdown
    env.filters["md_alt"] = escape_alt
    env.filters["md_url"] = markdown_url
    env.filters["wrap"] = fill
    env.filters["long_date"] = jinja2.pass_context(lambda ctx, d: long_date(d, ctx.get("language", "en")))
    if not trusted:
        env.filters = {name: _bounded(f, name) for name, f in env.filters.items()}
    return env


def flavour(env: jinja2.Environment) -> str:
    """What the environment's templates compile to: code compiled for one kind runs only in the same kind
    (code compiled outside the sandbox calls without its checks)."""
    return COMPILED if isinstance(env, Sandbox) else "trusted"


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
    whole: str = ""  # a part of it a line never breaks inside (a phone number)

    @property
    def text(self) -> str:
        """As people read it: as written, else the address without its scheme."""
        return self.written or _SCHEME.sub("", self.url).rstrip("/")

    @property
    def html(self) -> Markup:
        """The text for a page or an email: escaped, its ``whole`` part kept on one line."""
        return _link_html(self.text, self.whole)

    @property
    def is_web(self) -> bool:
        return self.url.startswith(("https://", "http://"))


_SCHEME = re.compile(r"^(https?://|mailto:|tel:)")


@functools.lru_cache(maxsize=64)  # the same few links in every month's outputs
def _link_html(text: str, whole: str) -> Markup:
    shown = Markup.escape(text)
    if not whole:
        return shown
    kept = Markup('<span style="white-space: nowrap">{}</span>').format(whole)
    return Markup(shown.replace(Markup.escape(whole), kept, 1))


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
    t = settings.words
    contact = []
    if author.phone:
        shown = f"{author.phone} ({author.phone_vanity})" if author.phone_vanity else author.phone
        contact.append(Link(t["phone"], f"tel:{author.dialled}", shown, author.phone))
    if author.email:
        contact.append(Link(t["email"], f"mailto:{author.email}"))
    if author.website:
        contact.append(Link(t["website"], author.website))
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
    """When the month is published: its publish_at, else its date at 9 in the morning, in the author's zone."""
    from monthlypost.moments import moments

    return moments(settings, campaign).post


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


def month_image(settings: Settings, campaign: Campaign) -> dict[str, Any] | None:
    """The month's own image as the outputs show it: where its share card and its email picture will be, beside
    the published post (None without [blog] url: the outputs then show YouTube's thumbnail)."""
    share = settings.blog.file_url(campaign.slug, campaign.month, "share.jpg")
    if share is None:
        return None
    return {
        "share": share,
        "email": settings.blog.file_url(campaign.slug, campaign.month, "email.jpg"),
        "width": SHARE[0],
        "height": SHARE[1],
        "email_width": EMAIL[0],
        "email_height": EMAIL[1],
        "alt": campaign.title,
    }


def context(settings: Settings, campaign: Campaign) -> dict[str, Any]:
    """Everything a template may use. Templates see plain values, never files."""
    from monthlypost.moments import updated, uploaded

    vid = campaign.video_id
    topic = campaign.topic
    accent = settings.email.accent_color
    post_url = settings.blog.post_url(campaign.slug, campaign.month)
    return {
        "version": __version__,
        "month": campaign.month,
        "language": settings.author.language,
        "locale": og_locale(settings.author.language),
        "t": settings.words,  # the fixed words: {{ t.in_this_video }}
        "direction": (direction := writing_direction(settings.author.language)),  # rtl for Arabic, Hebrew…
        "start": "right" if direction == "rtl" else "left",  # where a line starts, for the email's old clients
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
        "date": (when := published(settings, campaign)).date(),
        "published": when,
        "modified": updated(settings, campaign),  # when the post was last changed after it was published
        "video_uploaded": uploaded(settings, campaign),
        "duration": campaign.duration,
        "post_url": post_url,
        "post_path": urlsplit(post_url).path if post_url else None,
        "image": month_image(settings, campaign),
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
        # a code block scrolls inside itself (post.html's style): it takes the keyboard's focus, so it can
        # be scrolled without a mouse (the only <pre> is a code block's: the script's own HTML is text)
        "script_html": Markup(campaign.script.html().replace("<pre>", '<pre tabindex="0">')),
    }
