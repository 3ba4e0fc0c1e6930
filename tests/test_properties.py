"""Properties that must hold for any input, checked with generated inputs (hypothesis)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monthlypost.build import render_month
from monthlypost.outputs import RESERVED, _write_new
from monthlypost.paths import BadReference, output_name
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
