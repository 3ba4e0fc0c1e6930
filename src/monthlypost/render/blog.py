"""The blog post: post.html (a whole page) and post.md (front matter + Markdown)."""

from __future__ import annotations

from typing import Any

import jinja2

from monthlypost.campaign import Campaign


def video_jsonld(ctx: dict[str, Any], campaign: Campaign) -> dict[str, Any]:
    """schema.org VideoObject, with the chapters as Clips (Google's key moments)."""
    video = ctx["video"]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": ctx["title"],
        "description": ctx["summary"],
        "thumbnailUrl": [video["thumbnail"]],
        "uploadDate": ctx["date"].isoformat(),
        "embedUrl": video["embed_url"],
        "url": video["url"],
        "inLanguage": ctx["language"],
        "author": {"@type": "Person", "name": ctx["author"].name},
    }
    if ctx["author"].website:
        data["author"]["url"] = ctx["author"].website
    if ctx["keywords"]:
        data["keywords"] = ", ".join(ctx["keywords"])
    chapters = campaign.chapters
    if chapters:
        ends = [c.seconds for c in chapters[1:]] + [None]
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
        "video_jsonld": video_jsonld(ctx, campaign),
        "script_markdown": campaign.script.markdown(),
    }
    return {
        "post.html": env.get_template("post.html").render(blog),
        "post.md": env.get_template("post.md").render(blog),
    }
