"""The post's structured data as search engines' parsers read it (extruct: JSON-LD and Open Graph): its dates,
the video's upload date, and its chapters as key moments."""

from __future__ import annotations

import json

import extruct

from .conftest import edit, publish_at, run

OUT = "dist/2024-04"
TOPIC = "campaigns/2024-04/topic.toml"


def read(root) -> tuple[dict, dict, dict[str, list[str]]]:
    """The post's BlogPosting and VideoObject, and its Open Graph properties."""
    data = extruct.extract((root / OUT / "post.html").read_text(), syntaxes=["json-ld", "opengraph"], uniform=True)
    (graph,) = data["json-ld"]
    items = {item["@type"]: item for item in graph["@graph"]}
    (og,) = data["opengraph"]
    properties: dict[str, list[str]] = {}
    for key, value in og.items():
        if not key.startswith("@"):
            properties.setdefault(key, []).extend(value if isinstance(value, list) else [value])
    return items["BlogPosting"], items["VideoObject"], properties


def test_the_videos_upload_date_is_its_own_and_the_post_says_when_it_was_published_and_modified(example):
    result = run("build", "2024-04")
    assert result.exit_code == 0 and "Warning" not in result.stderr, result.output
    post, video, og = read(example)
    assert post["datePublished"] == post["dateModified"] == "2024-04-01T09:00:00+00:00"
    assert video["uploadDate"] == "2024-04-01"  # the example's video_date
    assert "article:modified_time" not in og  # never changed since it was published

    edit(example / TOPIC, "video_date = 2024-04-01", "video_date = 2024-03-29T17:00:00-07:00")
    assert run("build", "2024-04").exit_code == 0
    assert read(example)[1]["uploadDate"] == "2024-03-29T17:00:00-07:00"


def test_without_video_date_publish_at_is_the_upload_and_without_either_a_warning_says_so(example):
    edit(example / TOPIC, "video_date = 2024-04-01", "")
    result = run("build", "2024-04")
    assert result.exit_code == 0
    assert (
        "Warning: campaigns/2024-04/topic.toml: video_date: not set, so the post's structured data gives the "
        "post's date as the video's upload date" in result.stderr
    )
    assert read(example)[1]["uploadDate"] == "2024-04-01T09:00:00+00:00"
    publish_at(example, "2024-04-03T18:00", "America/Chicago")
    result = run("build", "2024-04")
    assert result.exit_code == 0 and "video_date" not in result.stderr
    post, video, _ = read(example)
    assert video["uploadDate"] == post["datePublished"] == "2024-04-03T18:00:00-05:00"


def test_chapters_without_a_duration_warn_naming_the_key_and_with_one_the_last_ends_with_the_video(example):
    edit(example / TOPIC, "cta =", 'chapters = ["0:00 Intro", "1:05 Sitting", "2:30 First step"]\ncta =')
    result = run("build", "2024-04")
    assert "Warning: campaigns/2024-04/topic.toml: duration: not set, so the last chapter has no end" in result.stderr
    clips = read(example)[1]["hasPart"]
    assert [c.get("endOffset") for c in clips] == [65, 150, None]
    edit(example / TOPIC, "cta =", 'duration = "4:12"\ncta =')
    result = run("build", "2024-04")
    assert "duration" not in result.stderr
    _, video, _ = read(example)
    assert video["duration"] == "PT4M12S"
    assert [(c["startOffset"], c["endOffset"]) for c in video["hasPart"]] == [(0, 65), (65, 150), (150, 252)]


def test_the_posts_date_modified_is_its_updated_in_the_page_and_the_feeds(example):
    edit(example / TOPIC, "cta =", "updated = 2024-05-02T14:30\ncta =")
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    post, _, og = read(example)
    assert post["datePublished"] == "2024-04-01T09:00:00+00:00"
    assert post["dateModified"] == og["article:modified_time"][0] == "2024-05-02T14:30:00+00:00"
    feed = json.loads((example / "dist/feed.json").read_text())["items"][0]
    assert feed["date_published"] == post["datePublished"] and feed["date_modified"] == post["dateModified"]
    assert "<updated>2024-05-02T14:30:00+00:00</updated>" in (example / "dist/feed.xml").read_text()


def test_an_updated_before_the_post_is_published_is_an_error(example):
    edit(example / TOPIC, "cta =", "updated = 2024-03-30\ncta =")
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert (
        "Error: campaigns/2024-04/topic.toml: updated: 2024-03-30 is before the post is published (2024-04-01)"
        in result.stderr
    )
