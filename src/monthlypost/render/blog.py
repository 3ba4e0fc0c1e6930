"""The blog post: post.html (a whole page) and post.md (front matter + Markdown)."""

from __future__ import annotations

from typing import Any

import jinja2

from monthlypost.campaign import Campaign
from monthlypost.video import iso_duration


def jsonld(ctx: dict[str, Any], campaign: Campaign) -> dict[str, Any]:
    """schema.org data for search engines: the post (BlogPosting) and its video (VideoObject), linked."""
    video_id = f"{ctx['post_url'] or ''}#video"
    return {
        "@context": "https://schema.org",
        "@graph": [blog_posting(ctx, video_id), video_object(ctx, campaign, video_id)],
    }


def _person(ctx: dict[str, Any]) -> dict[str, Any]:
    author = ctx["author"]
    return {"@type": "Person", "name": author.name, **({"url": author.website} if author.website else {})}


def blog_posting(ctx: dict[str, Any], video_id: str) -> dict[str, Any]:
    """Google's Article guidance: headline, dates, author, image; the page it is the main entity of."""
    data: dict[str, Any] = {
        "@type": "BlogPosting",
        "headline": ctx["title"],
        "description": ctx["summary"],
        "datePublished": ctx["published"].isoformat(),
        "dateModified": (ctx["modified"] or ctx["published"]).isoformat(),
        "author": _person(ctx),
        "image": [*([ctx["image"]["share"]] if ctx["image"] else []), ctx["video"]["thumbnail"]],
        "inLanguage": ctx["language"],
        "video": {"@id": video_id},
    }
    if ctx["post_url"]:
        data["url"] = ctx["post_url"]
        data["mainEntityOfPage"] = {"@type": "WebPage", "@id": ctx["post_url"]}
    if ctx["keywords"]:
        data["keywords"] = ", ".join(ctx["keywords"])
    return data


def video_object(ctx: dict[str, Any], campaign: Campaign, video_id: str) -> dict[str, Any]:
    """Google's VideoObject guidance, with the chapters as Clips (key moments)."""
    video = ctx["video"]
    data: dict[str, Any] = {
        "@type": "VideoObject",
        "@id": video_id,
        "name": ctx["title"],
        "description": ctx["summary"],
        "thumbnailUrl": [video["thumbnail"]],
        "uploadDate": ctx["video_uploaded"].isoformat(),  # the video's, from video_date or publish_at
        "embedUrl": video["embed_url"],
        "url": video["url"],
        "inLanguage": ctx["language"],
        "author": _person(ctx),
    }
    duration = ctx["duration"]
    if duration:
        data["duration"] = iso_duration(duration)
    if ctx["keywords"]:
        data["keywords"] = ", ".join(ctx["keywords"])
    chapters = campaign.chapters
    if chapters:
        ends = [c.seconds for c in chapters[1:]] + [duration]
        data["hasPart"] = [
            {
                "@type": "Clip",
                "name": chapter.label,
                "startOffset": chapter.seconds,
                **({"endOffset": end} if end is not None else {}),
                "url": f"{video['url']}&t={chapter.seconds}s",
            }
            for chapter, end in zip(chapters, ends, strict=True)
        ]
    return data


def render_blog(env: jinja2.Environment, ctx: dict[str, Any], campaign: Campaign) -> dict[str, str]:
    blog = {
        **ctx,
        "jsonld": jsonld(ctx, campaign),
        "script_markdown": campaign.script.markdown(),
    }
    return {
        "post.html": env.get_template("post.html").render(blog),
        "post.md": env.get_template("post.md").render(blog),
    }
