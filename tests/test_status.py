"""SPEC §14: monthlypost status, from the records and, with --live, from the services (the fake YouTube and
the fake Ghost), and each way the channels can be out of step."""

from __future__ import annotations

import datetime

import pytest

from .conftest import edit, publish_at, run
from .fake_ghost import KEY, FakeGhost
from .fake_mail import KEYS, FakeMail
from .fake_youtube import FakeGoogle
from .test_blog_ghost import use
from .test_youtube import SNIPPET, VIDEO, write_token


@pytest.fixture
def services(example, tmp_path, monkeypatch):
    """The example month with a publish_at, its video on the fake YouTube, its blog on the fake Ghost."""
    youtube = FakeGoogle(videos={VIDEO: dict(SNIPPET)}).start()
    token = tmp_path / "token.json"
    write_token(token, "https://127.0.0.1:9/token")
    monkeypatch.setenv("MONTHLYPOST_YOUTUBE_API_URL", youtube.url)
    monkeypatch.setenv("MONTHLYPOST_YOUTUBE_TOKEN", str(token))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    ghost = FakeGhost().start()
    use(example, ghost, monkeypatch)
    monkeypatch.setenv("MONTHLYPOST_BLOG_API_KEY", KEY)
    mail = FakeMail("mailchimp").start()  # the example's provider
    edit(example / "monthlypost.toml", "[youtube]", 'list = "abc123"\n\n[youtube]')
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_URL", mail.url)
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", KEYS["mailchimp"])
    publish_at(example, "2099-07-15T09:00")
    yield youtube, ghost, mail
    youtube.stop()
    ghost.stop()
    mail.stop()


def test_a_month_scheduled_everywhere_is_in_step(example, services):
    youtube, ghost, mail = services
    assert run("youtube", "push", "2024-04", "--schedule", "--yes").exit_code == 0
    assert run("blog", "push", "2024-04", "--schedule", "--yes").exit_code == 0
    assert run("email", "push", "2024-04", "--schedule", "--yes").exit_code == 0
    recorded = run("status", "2024-04")
    assert recorded.exit_code == 0, recorded.output
    # the records: the email's moment as asked (Mailchimp moved it to the quarter-hour), the post's status alone,
    # the video's moment
    assert recorded.stdout.splitlines()[1].split() == [
        *["2024-04", "built", "scheduled", "2099-07-15", "09:10", "scheduled", "scheduled", "2099-07-15", "09:00"]
    ]
    live = run("status", "2024-04", "--live")
    assert live.exit_code == 0, live.output
    line = live.stdout.splitlines()[1]
    assert line.count("scheduled 2099-07-15 09:00") == 2  # the post and the video, in the author's time
    assert line.split()[2] == "scheduled"  # the email, as Mailchimp says
    assert "out of step" not in live.stderr


def test_a_post_live_before_its_video_is_out_of_step(example, services):
    youtube, ghost, mail = services
    assert run("blog", "push", "2024-04").exit_code == 0
    (post_id,) = ghost.posts
    ghost.edit_on_site(post_id, status="published")
    result = run("status", "2024-04", "--live")
    assert result.exit_code == 1
    assert "2024-04: out of step: the post is live, but the video is not public yet" in result.stderr
    youtube.status(VIDEO)["privacyStatus"] = "public"
    assert run("status", "2024-04", "--live").exit_code == 0


def test_a_scheduled_post_whose_moment_passed_is_out_of_step(example, services):
    youtube, ghost, mail = services
    assert run("blog", "push", "2024-04", "--schedule", "--yes").exit_code == 0
    (post_id,) = ghost.posts
    ghost.posts[post_id]["published_at"] = "2024-04-15T08:00:00.000Z"  # the moment came, and nothing published it
    youtube.status(VIDEO)["privacyStatus"] = "public"
    result = run("status", "2024-04", "--live")
    assert result.exit_code == 1
    assert "the post was to go live at 2024-04-15T08:00:00+00:00 and is still scheduled" in result.stderr


def test_a_channel_that_cannot_be_read_is_said_and_the_others_shown(example, services, monkeypatch):
    youtube, ghost, mail = services
    assert run("blog", "push", "2024-04").exit_code == 0
    monkeypatch.delenv("MONTHLYPOST_BLOG_API_KEY")
    result = run("status", "2024-04", "--live")
    assert "Warning:" in result.stderr and "MONTHLYPOST_BLOG_API_KEY" in result.stderr
    assert result.stdout.splitlines()[1].split()[-1] == "private"  # the video, read from YouTube


def test_status_flags_use_the_clock():
    from monthlypost.status import Row, out_of_step

    now = datetime.datetime(2024, 4, 15, 9, 0, tzinfo=datetime.UTC)
    before = now - datetime.timedelta(minutes=1)
    assert out_of_step(Row("2024-04", post="live", video="scheduled", video_at=before), now) == []
    assert out_of_step(Row("2024-04", post="live", video="scheduled", video_at=now + datetime.timedelta(1)), now)
    assert out_of_step(Row("2024-04", email="sent", video="private"), now)
    assert out_of_step(Row("2024-04", email="sent", video="scheduled", video_at=now + datetime.timedelta(1)), now)
    assert out_of_step(Row("2024-04", email="sent", video="public"), now) == []
    assert out_of_step(Row("2024-04", email="scheduled", video="private"), now)


# --- monthlypost schedule: every channel, after one plan table ------------------------------------------------


def test_schedule_plans_then_schedules_the_video_and_the_post(example, services):
    youtube, ghost, mail = services
    result = run("schedule", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.stdout.splitlines()]
    at, email = ["2099-07-15T08:00:00Z", "2099-07-15", "09:00"], ["2099-07-15T08:10:00Z", "2099-07-15", "09:10"]
    assert lines[0] == ["channel", "what", "UTC", "Europe/London"]
    assert lines[1] == ["YouTube", "the", "video", "goes", "public", *at]
    assert lines[2] == ["Ghost", "the", "post", "goes", "live", *at]
    assert lines[3] == ["Mailchimp", "the", "email", "is", "sent", *email]
    assert youtube.status(VIDEO)["publishAt"] == "2099-07-15T08:00:00Z"
    (post,) = ghost.posts.values()
    assert post["status"] == "scheduled"
    (_, campaign) = mail.only()
    assert (campaign["status"], campaign["send_time"]) == ("schedule", "2099-07-15T08:15:00+00:00")
    assert "Mailchimp schedules on the quarter-hour only, so it goes at 09:15, not 09:10" in result.stdout
    assert result.stdout.rstrip().endswith("scheduled: video, post, email")


def test_each_channels_outcome_is_its_own(example, services):
    youtube, ghost, mail = services
    youtube.status(VIDEO)["privacyStatus"] = "public"  # out already: never made private
    result = run("schedule", "2024-04", "--yes")
    assert result.exit_code == 1
    assert "scheduled: post, email; not scheduled: video" in result.stdout
    (post,) = ghost.posts.values()
    assert post["status"] == "scheduled" and youtube.status(VIDEO)["privacyStatus"] == "public"


def test_schedule_asks_first_and_without_a_terminal_sends_nothing(example, services):
    youtube, ghost, mail = services
    result = run("schedule", "2024-04")
    assert result.exit_code == 1
    assert "no terminal to ask on, so nothing was sent" in result.stderr
    assert youtube.seen("PUT") == [] and ghost.posts == {} and mail.drafts == {}


def test_unschedule_undoes_both(example, services):
    youtube, ghost, mail = services
    assert run("schedule", "2024-04", "--yes").exit_code == 0
    result = run("schedule", "2024-04", "--unschedule", "--yes")
    assert result.exit_code == 0, result.output
    assert "publishAt" not in youtube.status(VIDEO)
    (post,) = ghost.posts.values()
    assert post["status"] == "draft" and mail.only()[1]["status"] == "save"


def test_status_shows_the_emails_schedule_from_the_record(example, services):
    youtube, ghost, mail = services
    assert run("schedule", "2024-04", "--yes").exit_code == 0
    result = run("status", "2024-04")
    assert result.exit_code == 0, result.output
    assert "scheduled 2099-07-15 09:10" in result.stdout.splitlines()[1]  # the moment asked for, in London


def test_an_email_sent_before_its_video_is_public_is_out_of_step(example, services):
    youtube, ghost, mail = services
    assert run("email", "push", "2024-04", "--yes").exit_code == 0
    mail.mark_sent(mail.only()[0])  # sent from Mailchimp by hand, the video still private
    result = run("status", "2024-04", "--live")
    assert result.exit_code == 1
    assert "2024-04: out of step: the email went out, but the video is not public yet" in result.stderr
    assert result.stdout.splitlines()[1].split()[2] == "sent"


def test_schedule_stops_at_a_publish_at_the_clocks_skip_before_showing_a_plan(example, services):
    youtube, ghost, mail = services
    edit(example / "campaigns/2024-04/topic.toml", "publish_at = 2099-07-15T09:00", "publish_at = 2099-03-29T01:30")
    result = run("schedule", "2024-04", "--yes")
    assert result.exit_code == 1
    assert "publish_at: 2099-03-29 01:30 does not happen in Europe/London" in result.stderr
    assert "channel" not in result.stdout and youtube.seen("PUT") == [] and ghost.posts == {}
