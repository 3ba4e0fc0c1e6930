"""Properties that must hold for any input, checked with generated inputs (hypothesis)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monthlypost.build import render_month
from monthlypost.outputs import RESERVED, _write_new
from monthlypost.paths import BadReference, control_at, output_name, without_controls
from monthlypost.video import VideoLinkError, chapter_problems, hashtag_name, parse_chapter, video_id
from monthlypost.workspace import Workspace

from .conftest import REPO

PATH_PARTS = st.sampled_from(["..", ".", "", "a", "b.jpg", "post.html", "YouTube.TXT", "%2e%2e", "\\", "/", "C:", "~"])
REFERENCES = st.one_of(
    st.lists(PATH_PARTS, min_size=1, max_size=6).map("/".join),
    st.text(max_size=40),
)


@given(REFERENCES)
@example("../../../outside/secret.jpg")
@example("img/../../2024-04/photo.jpg")
@example("./post.html")
@example("%2e%2e/x")
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_no_image_reference_can_name_a_file_outside_the_output_folder(reference):
    try:
        name = output_name(reference, RESERVED)
    except BadReference:
        return
    assert name.split("/")[0].casefold() not in RESERVED
    with tempfile.TemporaryDirectory() as top:
        outside, staging = Path(top) / "outside", Path(top) / "staging"
        outside.mkdir()
        staging.mkdir()
        with contextlib.suppress(OSError):  # a name the file system cannot hold is an error, never a write elsewhere
            _write_new(staging, name, b"image")
        written = [Path(parent) / f for parent, _, files in os.walk(top) for f in files]
        assert all(path.is_relative_to(staging) for path in written), written
        assert not any(outside.iterdir())


@given(st.text(max_size=80))
@example("https://[youtube.com/watch?v=abc")
@example("https://youtu.be/hipPain2404\n")
@example("youtube.com:99999/watch?v=hipPain2404")
@settings(max_examples=500)
def test_a_video_link_is_an_id_or_a_video_link_error_never_a_crash(text):
    try:
        vid = video_id(text)
    except VideoLinkError:
        return
    assert len(vid) == 11 and vid.isascii() and all(c.isalnum() or c in "-_" for c in vid)


@given(st.lists(st.text(max_size=20), max_size=6))
@example(["0:00 Intro", "１:05 Full width", "2:30 x"])
@settings(max_examples=300)
def test_chapters_are_checked_without_a_crash(lines):
    problems = list(chapter_problems(lines))
    if not problems:
        chapters = [parse_chapter(line) for line in lines]
        assert chapters == [] or chapters[0].seconds == 0
        assert all(b.seconds - a.seconds >= 10 for a, b in zip(chapters, chapters[1:], strict=False))


@given(st.text(max_size=30))
def test_a_hashtag_is_a_name_or_none(tag):
    name = hashtag_name(tag)
    assert name is None or (name and "#" not in name and not any(c.isspace() for c in name))


def toml_string(text: str) -> str:
    """A TOML basic string holding exactly ``text``."""
    escaped = "".join(
        f"\\u{ord(c):04X}" if ord(c) < 0x20 or c == "\x7f" else "\\" + c if c in '"\\' else c for c in text
    )
    return f'"{escaped}"'


# Mostly text a person would type (controls are rare), so that most examples get past the checks.
TEXT = st.text(
    st.one_of(st.characters(exclude_categories=("Cs", "Cc")), st.sampled_from("<>&\"'\n\t\x00")), max_size=300
)


@given(summary=TEXT.filter(str.strip), points=st.lists(TEXT.filter(str.strip), min_size=1, max_size=20))
@example(summary="<b>bold</b> & friends", points=["a > b", "x" * 300])
@example(summary="Long " * 1100, points=["point"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_description_never_passes_its_check_with_angle_brackets_or_over_5000_bytes(summary, points):
    with tempfile.TemporaryDirectory() as top:
        root = Path(top)
        shutil.copy(REPO / "monthlypost.toml", root)
        shutil.copytree(REPO / "campaigns", root / "campaigns")
        topic = root / "campaigns/2024-04/topic.toml"
        lines = topic.read_text().splitlines()
        kept = [line for line in lines if not line.startswith(("summary", "key_points", "  ", "]"))]
        points_toml = ", ".join(toml_string(p) for p in points)
        topic.write_text("\n".join([*kept, f"summary = {toml_string(summary)}", f"key_points = [{points_toml}]"]))

        rendered = render_month(Workspace(root), "2024-04")

    if not rendered.ok:  # refused, with the problems said: never a crash, never a bad description
        assert rendered.problems.errors and not rendered.files
        return
    description = rendered.files["youtube.txt"].decode("utf-8")
    assert "<" not in description and ">" not in description
    assert len(description.rstrip("\n").encode("utf-8")) <= 5000
    assert not any(ord(c) < 0x20 and c != "\n" for c in description)
    json.loads(rendered.files["manifest.json"])


@given(
    subject=st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=200).filter(str.strip),
    name=st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=80),
    text=TEXT,
)
@example(subject="=?utf-8?q?not_an_encoded_word?=", name='Dr. "Pat" O\'Neil, PT', text="a line.\n. \n")
@example(subject="x" * 120, name="Ünïcode Nämé", text="=" * 200)
@settings(max_examples=300)
def test_the_eml_reads_back_exactly_under_the_strict_policy(subject, name, text):
    import email
    import email.policy
    from types import SimpleNamespace

    from monthlypost.render.email import message

    settings = SimpleNamespace(
        from_address="pat@example.com",
        from_name=name,
        reply_to="desk@example.com",
        author=SimpleNamespace(timezone="UTC"),
        email=SimpleNamespace(provider="mailchimp", unsubscribe_url=None, delay_minutes=10),
    )
    campaign = SimpleNamespace(
        subject=subject,
        publish_date=__import__("datetime").date(2024, 4, 1),
        month="2024-04",
        topic=SimpleNamespace(publish_at=None),
    )
    raw = message(settings, campaign, text, "<p>" + text + "</p>")

    msg = email.message_from_bytes(raw, policy=email.policy.strict)
    assert " ".join(msg["Subject"].split()) == " ".join(subject.split())
    # readers differ on the spaces in a long encoded name (Python's own parser adds some); never on its letters
    assert "".join(msg["From"].addresses[0].display_name.split()) == "".join(name.split())
    assert msg["From"].addresses[0].addr_spec == "pat@example.com"
    plain, html = msg.iter_parts()
    assert plain.get_content().replace("\r\n", "\n") == text.replace("\r\n", "\n").replace("\r", "\n")
    head, body = raw.split(b"\r\n\r\n", 1)
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))  # RFC 5322's limit for header lines
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))  # RFC 2045's for quoted-printable


@given(
    text=st.text(st.sampled_from("ab cd\tefgh\n\u00a0.-/:" + "x" * 5), max_size=200),
    width=st.integers(1, 80),
    first=st.sampled_from(["", "- ", "    "]),
    rest=st.sampled_from(["", "  ", "    "]),
)
@example(text="a" * 100 + " b", width=10, first="- ", rest="  ")
@example(text="  lead and trail  ", width=72, first="", rest="")
@settings(max_examples=1000)
def test_fill_wraps_exactly_as_textwrap_does(text, width, first, rest):
    import textwrap

    from monthlypost.markup import fill

    expected = textwrap.fill(
        text, width, initial_indent=first, subsequent_indent=rest, break_long_words=False, break_on_hyphens=False
    )
    assert fill(text, width, first, rest) == expected


@given(text=st.text(st.sampled_from("ab\t\n\r\x00\x08\x0b\x1f\x7f\x85\x9f\xa0é\ud800\udfff\ue000😀"), max_size=12))
@settings(max_examples=1000)
def test_control_characters_are_found_as_one_character_class_would_find_them(text):
    every = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
    found = every.search(text)
    assert control_at(text) == (found.start() if found else None)
    assert without_controls(text) == every.sub("", text)
