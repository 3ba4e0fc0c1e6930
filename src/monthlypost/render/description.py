"""The YouTube description: youtube.txt, held to YouTube's rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from monthlypost.campaign import Campaign
from monthlypost.config import Settings
from monthlypost.errors import Problems
from monthlypost.render import tidy
from monthlypost.video import DESCRIPTION_MAX_BYTES, HASHTAGS_MAX, hashtags_in, youtube_hashtags

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
        for path, key in _keys_holding(campaign, settings, lambda value: "<" in value or ">" in value):
            problems.warn(path, f"{key}: < and > became ‹ and › in the YouTube description (YouTube refuses them)")
        text = text.translate(_ANGLES)
    size = len(text.rstrip("\n").encode("utf-8"))  # as push sends it: youtube.txt's final newline is not sent
    if size > DESCRIPTION_MAX_BYTES:
        problems.error(
            campaign.topic_path,
            f"the YouTube description is {size} bytes; YouTube allows {DESCRIPTION_MAX_BYTES} "
            "(shorten the summary, key points or [youtube] footer)",
        )
    _check_hashtags(campaign, settings, text, ctx["hashtags"], problems)
    return text


def _check_hashtags(campaign: Campaign, settings: Settings, text: str, chosen: list[str], problems: Problems) -> None:
    """Hashtags as YouTube reads them: every #word of the title and the description, not only the lists."""
    every, above = youtube_hashtags(campaign.title, text)
    if len(every) > HASHTAGS_MAX:
        problems.error(
            campaign.topic_path,
            f"hashtags: {len(every)} in the title and the YouTube description (the lists and every #word in the text); "
            f"past {HASHTAGS_MAX} YouTube ignores every one",
        )
    ours = {tag.casefold() for tag in chosen}
    if not ours or not ours <= {tag.casefold() for tag in every}:
        return  # no hashtags of the user's, or a template of the workspace's own that leaves them out
    stray = next((tag for tag in above if tag.casefold() not in ours), None)
    if stray is not None:

        def holds(value: str) -> bool:
            return stray.casefold() in {tag.casefold() for tag in hashtags_in(value)}

        for path, key in _keys_holding(campaign, settings, holds)[:1]:
            shown, wanted = (" ".join(f"#{tag}" for tag in tags) for tags in (above, chosen[:3]))
            problems.warn(
                path,
                f"{key}: #{stray} is a hashtag to YouTube and goes first: above the title it shows "
                f"{shown}, not {wanted}",
            )


# The fixed words youtube.txt shows (an author's own, in [labels], may hold what YouTube refuses)
DESCRIPTION_LABELS = ("in_this_video", "chapters", "read_the_full_post", "get_in_touch", "phone", "email", "website")


def _keys_holding(campaign: Campaign, settings: Settings, holds: Callable[[str], object]) -> list[tuple[Path, str]]:
    """Which keys, in the order they appear in the description, have a value that ``holds`` something."""
    topic = campaign.topic
    candidates: list[tuple[Path, str, str]] = [
        (campaign.topic_path, "title", topic.title),
        (campaign.topic_path, "summary", topic.summary),
        *((campaign.topic_path, "key_points", p) for p in topic.key_points),
        *((campaign.topic_path, "chapters", c) for c in topic.chapters),
        (settings.path, "[author] name", settings.author.name),
        (settings.path, "[author] phone_vanity", settings.author.phone_vanity or ""),
        (settings.path, "[youtube] footer", settings.youtube.footer or ""),
        *((settings.path, f"[labels] {key}", settings.words[key]) for key in DESCRIPTION_LABELS),
    ]
    found = list(dict.fromkeys((path, key) for path, key, value in candidates if holds(value)))
    return found or [(campaign.topic_path, "the description")]
