"""The post as a blog's own software takes it, for blog push: WordPress's block markup, or the HTML Ghost
converts to its editor's format (with what that conversion would lose kept in HTML cards).

The same parts as post.html, in the same order: the video, the key points,
the chapters, the script, the call to action and the contact details. The
title, the excerpt and the date travel beside the body, as the site keeps
them. Every text from topic.toml or monthlypost.toml is escaped; the
script is written by markup.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from monthlypost.campaign import Campaign
from monthlypost.config import Settings
from monthlypost.markup import wp_block, wp_inner
from monthlypost.render import context

ImageUrl = Callable[[str], str]  # the script's image address, as written → its address on the site
MediaId = Callable[[str], int | None]  # … → its id in WordPress's media library, once it is there


def _e(text: Any) -> str:
    return html.escape(str(text))


def _points(ctx: dict[str, Any]) -> list[str]:
    return [_e(point) for point in ctx["key_points"]]


def _chapters(ctx: dict[str, Any]) -> list[str]:
    url = ctx["video"]["url"]
    return [f'<a href="{_e(url)}&amp;t={c.seconds}s">{_e(c.timestamp)}</a> {_e(c.label)}' for c in ctx["chapters"]]


def _contact(ctx: dict[str, Any]) -> str:
    lines = [f"<strong>{_e(ctx['author'].name)}</strong>"]
    lines += [
        f'{_e(link.label)}: <a href="{_e(link.url)}">{_e(link.text)}</a>' for link in [*ctx["contact"], *ctx["links"]]
    ]
    return "<br>".join(lines)


def wordpress_content(settings: Settings, campaign: Campaign, image_url: ImageUrl, media_id: MediaId) -> str:
    """The post's body as WordPress blocks: a YouTube embed block, headings, lists, paragraphs…"""
    ctx = context(settings, campaign)
    watch = ctx["video"]["url"]
    embed = (
        '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube '
        'wp-embed-aspect-16-9 wp-has-aspect-ratio"><div class="wp-block-embed__wrapper">\n'
        f"{_e(watch)}\n</div></figure>"
    )
    embed_attrs = {
        "url": watch,
        "type": "video",
        "providerNameSlug": "youtube",
        "responsive": True,
        "className": "wp-embed-aspect-16-9 wp-has-aspect-ratio",
    }
    blocks = [wp_block("embed", embed, embed_attrs), *_wp_list(ctx["t"]["in_this_video"], _points(ctx))]
    if ctx["chapters"]:
        blocks += _wp_list(ctx["t"]["chapters"], _chapters(ctx))

    def rewrite(kind: str, url: str) -> str:
        return image_url(url) if kind == "image" else url

    blocks += campaign.script.wordpress(rewrite, media_id)
    if ctx["cta"]:
        blocks.append(wp_block("paragraph", f"<p><strong>{_e(ctx['cta'])}</strong></p>"))
    blocks.append(wp_block("separator", '<hr class="wp-block-separator has-alpha-channel-opacity"/>'))
    blocks.append(wp_block("paragraph", f"<p>{_contact(ctx)}</p>"))
    return "\n\n".join(blocks) + "\n"


def _wp_list(heading: str, items: list[str]) -> list[str]:
    listed = [wp_block("list-item", f"<li>{item}</li>") for item in items]
    return [wp_block("heading", f"<h2>{_e(heading)}</h2>"), wp_block("list", wp_inner("ul", listed))]


def ghost_content(settings: Settings, campaign: Campaign, image_url: ImageUrl) -> str:
    """The post's body as HTML for Ghost's ?source=html; the video's player in an HTML card, which Ghost
    keeps as it is (its HTML-to-Lexical conversion drops an iframe it does not know)."""
    ctx = context(settings, campaign)
    video = ctx["video"]
    parts = [
        "<!--kg-card-begin: html-->\n"
        f'<iframe width="560" height="315" src="{_e(video["embed_url"])}" title="{_e(ctx["title"])}" '
        'frameborder="0" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; '
        'picture-in-picture; web-share" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>\n'
        "<!--kg-card-end: html-->",
        f'<p><a href="{_e(video["url"])}">{_e(ctx["t"]["watch_on_youtube"])}</a></p>',
        f"<h2>{_e(ctx['t']['in_this_video'])}</h2>",
        "<ul>" + "".join(f"<li>{point}</li>" for point in _points(ctx)) + "</ul>",
    ]
    if ctx["chapters"]:
        parts += [
            f"<h2>{_e(ctx['t']['chapters'])}</h2>",
            "<ul>" + "".join(f"<li>{c}</li>" for c in _chapters(ctx)) + "</ul>",
        ]
    parts.append(campaign.script.html(rewrite=lambda kind, url: image_url(url) if kind == "image" else url).strip())
    if ctx["cta"]:
        parts.append(f"<p><strong>{_e(ctx['cta'])}</strong></p>")
    parts += ["<hr>", f"<p>{_contact(ctx)}</p>"]
    return "\n".join(parts) + "\n"


# --- As text, for the diff push shows ------------------------------------------------------------------------

_BLOCK_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BREAKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figure", "blockquote", "pre", "hr", "div", "br"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        if tag in _BREAKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "img":
            alt = dict(attrs).get("alt") or ""
            self.parts.append(f"[image: {alt}]")
        if tag == "iframe":
            self.parts.append(f"[video: {dict(attrs).get('src') or ''}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def as_text(markup: str) -> str:
    """A post's body (blocks or HTML) as lines of text, for a diff a person can read."""
    reader = _Text()
    reader.feed(_BLOCK_COMMENT.sub("", markup))
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).splitlines())
    return "\n".join(line for line in lines if line)
