"""SPEC §14: one publishing moment. publish_at in the author's time zone, across daylight-saving changes,
as the post's date and the email's; and the guards a schedule needs."""

from __future__ import annotations

import datetime
import email
import email.policy
import json
import re

import pytest

from monthlypost.moments import LEAST_AHEAD, ahead_problem, in_zone

from .conftest import edit, publish_at, run

TOPIC = "campaigns/2024-04/topic.toml"


def post_time(root) -> str:
    html = (root / "dist/2024-04/post.html").read_text()
    return re.search(r'<meta property="article:published_time" content="([^"]+)">', html).group(1)


def email_date(root) -> datetime.datetime:
    message = email.message_from_bytes((root / "dist/2024-04/newsletter.eml").read_bytes(), policy=email.policy.strict)
    return message["Date"].datetime


@pytest.mark.parametrize(
    "value, post",
    [
        ("2024-04-15T09:00", "2024-04-15T09:00:00+01:00"),  # British Summer Time
        ("2024-03-30T09:00", "2024-03-30T09:00:00+00:00"),  # the day before the clocks go forward
        ("2024-03-31T09:00", "2024-03-31T09:00:00+01:00"),  # the day they do
        ("2024-04-15T09:00:00-07:00", "2024-04-15T17:00:00+01:00"),  # its own offset: the same instant
    ],
)
def test_publish_at_is_the_posts_moment_and_the_email_follows_it(example, value, post):
    publish_at(example, value)
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert post_time(example) == post
    graph = json.loads(
        re.search(
            r'<script type="application/ld\+json">(.*?)</script>',
            (example / "dist/2024-04/post.html").read_text(),
            re.S,
        ).group(1)
    )
    assert graph["@graph"][0]["datePublished"] == post
    sent = email_date(example)
    assert sent - datetime.datetime.fromisoformat(post) == datetime.timedelta(minutes=10)
    assert sent.utcoffset() == datetime.datetime.fromisoformat(post).utcoffset()


def test_delay_minutes_sets_how_long_after_the_email_goes(example):
    publish_at(example, "2024-04-15T09:00")
    edit(example / "monthlypost.toml", "[email]\n", "[email]\ndelay_minutes = 45\n")
    assert run("build", "2024-04").exit_code == 0
    assert email_date(example).isoformat() == "2024-04-15T09:45:00+01:00"


def test_a_local_time_the_clocks_skip_is_an_error(example):
    publish_at(example, "2024-03-31T01:30")
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert (
        "Error: campaigns/2024-04/topic.toml: publish_at: 2024-03-31 01:30 does not happen in Europe/London: "
        "the clocks go forward over it that night" in result.stderr
    )


def test_a_local_time_that_happens_twice_is_the_first_with_a_warning(example):
    publish_at(example, "2024-10-27T01:30")
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert "publish_at: 2024-10-27 01:30 happens twice in Europe/London" in result.stderr
    assert post_time(example) == "2024-10-27T01:30:00+01:00"  # the first: still summer time


def test_publish_date_and_publish_at_on_different_days_is_an_error(example):
    edit(example / TOPIC, "title =", "publish_at = 2024-04-15T09:00\npublish_date = 2024-04-01\ntitle =")
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "is not the day of publish_at (2024-04-15)" in result.stderr


def test_publish_at_must_be_a_date_and_time(example):
    edit(example / TOPIC, "title =", "publish_at = 2024-04-15\ntitle =")
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "publish_at" in result.stderr and "a date and time" in result.stderr


def test_a_moment_in_the_past_or_too_soon_cannot_be_scheduled():
    now = datetime.datetime(2024, 4, 15, 8, 0, tzinfo=datetime.UTC)
    assert "has passed" in ahead_problem(now - datetime.timedelta(seconds=1), now, "the video")
    assert "only 14 minutes ahead" in ahead_problem(now + LEAST_AHEAD - datetime.timedelta(minutes=1), now, "the post")
    assert ahead_problem(now + LEAST_AHEAD, now, "the email") is None


def test_in_zone_tells_skipped_and_doubled_times():
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    assert in_zone(datetime.datetime(2024, 3, 31, 1, 30), london)[1] == "skipped"
    assert in_zone(datetime.datetime(2024, 10, 27, 1, 30), london)[1] == "twice"
    assert in_zone(datetime.datetime(2024, 6, 1, 1, 30), london)[1] is None


def test_the_email_never_goes_before_the_video_a_negative_delay_is_an_error(example):
    publish_at(example, "2024-04-15T09:00")
    edit(example / "monthlypost.toml", "[email]\n", "[email]\ndelay_minutes = -5\n")
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "delay_minutes" in result.stderr and "a number of minutes, 0 or more" in result.stderr
