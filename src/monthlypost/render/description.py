"""The YouTube description: youtube.txt, held to YouTube's rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from monthlypost.campaign import Campaign
from monthlypost.config import Settings
from monthlypost.errors import Problems
from monthlypost.render import tidy
from monthlypost.video import DESCRIPTION_MAX_BYTES, HASHTAGS_MAX

_ANGLES = str.maketrans({"<": "‹", ">": "›"})


def render_description(
    env: jinja2.Environment,
    ctx: dict[str, Any],
    campaign: Campaign,
    settings: Settings,
    problems: Problems,
) -> str:
    text = tidy(env.get_template("youtube.txt").render(ctx))
    if "<" in text or ">" in text:
        for path, key in _angle_sources(campaign, settings):
            problems.warn(path, f"{key}: < and > became ‹ and › in the YouTube description (YouTube refuses them)")
        text = text.translate(_ANGLES)
    size = len(text.encode("utf-8"))
    if size > DESCRIPTION_MAX_BYTES:
        problems.error(
            campaign.topic_path,
            f"the YouTube description is {size} bytes; YouTube allows {DESCRIPTION_MAX_BYTES} "
            "(shorten the summary, key points or [youtube] footer)",
        )
    if len(ctx["hashtags"]) > HASHTAGS_MAX:
        problems.error(
            campaign.topic_path,
            f"hashtags: {len(ctx['hashtags'])} with [youtube] hashtags; past {HASHTAGS_MAX} YouTube ignores every one",
        )
    return text


def _angle_sources(campaign: Campaign, settings: Settings) -> list[tuple[Path, str]]:
    """Which keys put a < or > into the description, to name them in the warning."""
    topic = campaign.topic
    candidates: list[tuple[Path, str, str]] = [
        (campaign.topic_path, "summary", topic.summary),
        *((campaign.topic_path, "key_points", p) for p in topic.key_points),
        *((campaign.topic_path, "chapters", c) for c in topic.chapters),
        (settings.path, "[youtube] footer", settings.youtube.footer or ""),
        (settings.path, "[author] name", settings.author.name),
        (settings.path, "[author] phone_vanity", settings.author.phone_vanity or ""),
    ]
    found = list(dict.fromkeys((path, key) for path, key, value in candidates if "<" in value or ">" in value))
    return found or [(campaign.topic_path, "the description")]
