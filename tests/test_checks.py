"""SPEC §5: every error stops the month with 'Error: FILE: …', exit 1, and leaves the old outputs alone."""

import json

import pytest

from monthlypost.errors import MonthlypostError

from .conftest import edit, run, snapshot


def reported(stderr: str, kind: str, path: str, says: str) -> bool:
    """Whether one line reads 'Kind: PATH: …SAYS…'."""
    return any(line.startswith(f"{kind}: {path}: ") and says in line for line in stderr.splitlines())


def line_of(path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


TOPIC = "campaigns/2024-04/topic.toml"
SCRIPT = "campaigns/2024-04/script.md"


def break_title_length(root):
    edit(root / TOPIC, 'title = "Why Your Hip Pain Keeps Coming Back"', f'title = "{"x" * 101}"')


def many_hashtags(root):
    tags = ", ".join(f'"Tag{i}"' for i in range(60))
    edit(root / TOPIC, 'hashtags = ["HipPain", "TriggerPoints"]', f"hashtags = [{tags}]")


def long_description(root):
    points = ", ".join(f'"{f"Point number {i} is a long one. " * 8}"' for i in range(25))
    edit(root / TOPIC, "key_points = [", f"key_points = [{points}, ")


def chapters(*lines):
    def apply(root):
        listed = ", ".join(f'"{line}"' for line in lines)
        edit(root / TOPIC, "cta =", f"chapters = [{listed}]\ncta =")

    return apply


CASES = {
    "topic missing": (lambda r: (r / TOPIC).unlink(), TOPIC, "missing; every month needs one"),
    "script missing": (lambda r: (r / SCRIPT).unlink(), SCRIPT, "missing; write the month's text here"),
    "script empty": (lambda r: (r / SCRIPT).write_text("\n  \n"), SCRIPT, "empty"),
    "script not utf-8": (lambda r: (r / SCRIPT).write_bytes(b"caf\xe9\n"), SCRIPT, "not UTF-8 text (byte 3)"),
    "toml syntax": (lambda r: edit(r / TOPIC, 'summary = "', 'summary = "\n'), TOPIC, "line 5, column"),
    "unknown key": (
        lambda r: edit(r / TOPIC, "cta =", "call_to_action = 'x'\ncta ="),
        TOPIC,
        "unknown key 'call_to_action'",
    ),
    "unknown key, suggested": (lambda r: edit(r / TOPIC, "keywords =", "keyword ="), TOPIC, "did you mean 'keywords'?"),
    "wrong type": (
        lambda r: edit(r / TOPIC, "key_points = [", 'key_points = "one point"\nx = ['),
        TOPIC,
        "key_points: expected a list of strings, got a string",
    ),
    "required key": (lambda r: edit(r / TOPIC, "summary =", "# summary ="), TOPIC, "summary: required"),
    "date type": (
        lambda r: edit(r / TOPIC, "cta =", 'publish_date = "April"\ncta ='),
        TOPIC,
        "publish_date: expected a date",
    ),
    "not youtube": (
        lambda r: edit(r / TOPIC, "https://youtu.be/hipPain2404", "https://vimeo.com/76979871"),
        TOPIC,
        "video: 'https://vimeo.com/76979871' is not a YouTube link",
    ),
    "playlist": (
        lambda r: edit(r / TOPIC, "https://youtu.be/hipPain2404", "https://www.youtube.com/playlist?list=PL1"),
        TOPIC,
        "is a playlist, not a video",
    ),
    "title too long": (break_title_length, TOPIC, "title: 101 characters; YouTube allows at most 100"),
    "title angle brackets": (
        lambda r: edit(r / TOPIC, 'Keeps Coming Back"', 'Keeps <Coming> Back"'),
        TOPIC,
        "title: must not contain < or >",
    ),
    "title empty": (
        lambda r: edit(r / TOPIC, 'title = "Why Your Hip Pain Keeps Coming Back"', 'title = " "'),
        TOPIC,
        "title: must not be empty",
    ),
    "description over 5000 bytes": (long_description, TOPIC, "the YouTube description is"),
    "chapters not from 0:00": (
        chapters("0:05 Intro", "1:05 Sitting", "2:30 Step"),
        TOPIC,
        "chapters: the first must start at 0:00",
    ),
    "chapters fewer than three": (chapters("0:00 Intro", "1:05 Sitting"), TOPIC, "chapters: only 2"),
    "chapters not ascending": (chapters("0:00 Intro", "2:05 Sitting", "1:30 Step"), TOPIC, "does not come after"),
    "chapters under 10 seconds": (chapters("0:00 Intro", "0:09 Sitting", "1:30 Step"), TOPIC, "lasts under 10 seconds"),
    "hashtag characters": (
        lambda r: edit(r / TOPIC, '"HipPain"', '"hip-pain"'),
        TOPIC,
        "hashtags: 'hip-pain' may hold only",
    ),
    "more than 60 hashtags": (
        many_hashtags,
        TOPIC,
        "hashtags: 61 in the title and the YouTube description (the lists and every #word in the text); past 60",
    ),
    "more than 60 hashtags, counting the text's": (
        lambda r: edit(r / TOPIC, "key_points = [", f'key_points = ["{" ".join(f"#Word{i}" for i in range(58))}", '),
        TOPIC,
        "hashtags: 61 in the title and the YouTube description",
    ),
    "image missing": (
        lambda r: (r / SCRIPT).write_text("Look:\n\n![Foam roller](foam.jpg)\n"),
        SCRIPT,
        "line 3: image 'foam.jpg' not found in 2024-04/",
    ),
    "image outside the folder": (
        lambda r: (r / SCRIPT).write_text("![Secret](../../monthlypost.toml)\n"),
        SCRIPT,
        "leads outside the month's folder",
    ),
    "settings": (
        lambda r: edit(r / "monthlypost.toml", 'name = "Patrick Lerouge"', "name = 42"),
        "monthlypost.toml",
        "[author] name: expected a string, got an integer",
    ),
    "settings hashtag": (
        lambda r: edit(r / "monthlypost.toml", '["LivePainFree"]', '["Live Pain Free"]'),
        "monthlypost.toml",
        "[youtube] hashtags: 'Live Pain Free'",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_an_error_stops_the_build_and_keeps_the_old_outputs(example, case):
    breaks, path, says = CASES[case]
    assert run("build", "2024-04").exit_code == 0
    before = snapshot(example / "dist")

    breaks(example)
    result = run("build", "2024-04")

    assert result.exit_code == 1
    assert reported(result.stderr, "Error", path, says), result.stderr
    assert "Traceback" not in result.output
    assert snapshot(example / "dist") == before


@pytest.mark.parametrize("case", ["not youtube", "chapters not ascending", "settings"])
def test_check_reports_the_same_and_writes_nothing(example, case):
    breaks, path, says = CASES[case]
    breaks(example)
    result = run("check", "2024-04")
    assert result.exit_code == 1
    assert reported(result.stderr, "Error", path, says), result.stderr
    assert not (example / "dist").exists()


def test_every_problem_in_a_month_is_reported_at_once(example):
    edit(example / TOPIC, "https://youtu.be/hipPain2404", "https://vimeo.com/1")
    edit(example / TOPIC, '"HipPain"', '"hip-pain"')
    edit(example / TOPIC, "keywords =", "keyword =")
    (example / SCRIPT).write_text("![Roller](roller.jpg)\n")
    result = run("check")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 4, result.stderr
    assert "2024-04: 4 errors" in result.stdout


def test_check_passes_the_example_month(example):
    result = run("check", "2024-04")
    assert result.exit_code == 0
    assert result.stdout == "2024-04: ok\n"
    assert result.stderr == ""


def test_debug_lets_the_traceback_through(example):
    edit(example / "monthlypost.toml", 'name = "Patrick Lerouge"', "name = 42")
    assert run("build").exit_code == 1
    with pytest.raises(MonthlypostError, match=r"\[author\] name: expected a string"):
        run("--debug", "build")


# --- Warnings: printed, recorded, and the build goes on ---------------------------------


def built_warnings(root):
    return json.loads((root / "dist/2024-04/manifest.json").read_text())["warnings"]


def test_an_image_without_alt_text_is_a_warning(example):
    (example / "campaigns/2024-04/roller.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    edit(example / SCRIPT, "Let me show you", "![](roller.png)\n\nLet me show you")
    result = run("build")
    assert result.exit_code == 0
    expected = f"{SCRIPT}: line {line_of(example / SCRIPT, 'roller.png')}: image 'roller.png' has no alt text"
    assert f"Warning: {expected}" in result.stderr
    assert any(w.startswith(expected) for w in built_warnings(example))
    assert (example / "dist/2024-04/roller.png").read_bytes() == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("url", ["http://example.com/", "/blog/other-post/", "other.html"])
def test_a_link_that_is_not_absolute_https_is_a_warning(example, url):
    edit(example / SCRIPT, "Enjoy the video.", f"Enjoy the video ([more]({url})).")
    result = run("build")
    assert result.exit_code == 0
    line = line_of(example / SCRIPT, "[more]")
    assert f"Warning: {SCRIPT}: line {line}: link '{url}' is not an absolute https:// address" in result.stderr


@pytest.mark.parametrize("url", ["mailto:patrick@example.com", "tel:+18786887378", "https://example.com/"])
def test_https_mail_and_phone_links_are_fine(example, url):
    edit(example / SCRIPT, "Enjoy the video.", f"Enjoy the video ([more]({url})).")
    result = run("build")
    assert result.exit_code == 0 and result.stderr == ""


def test_angle_brackets_become_guillemets_in_the_description_with_a_warning(example):
    edit(example / TOPIC, "The back-burner reasons", "The <back-burner> reasons")
    result = run("build")
    assert result.exit_code == 0
    assert f"Warning: {TOPIC}: summary: < and > became ‹ and › in the YouTube description" in result.stderr
    description = (example / "dist/2024-04/youtube.txt").read_text()
    assert "The ‹back-burner› reasons" in description
    assert "<" not in description and ">" not in description
    assert "&lt;back-burner&gt;" in (example / "dist/2024-04/post.html").read_text()


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            "The back-burner reasons",
            "#Hips: the back-burner reasons",
            "summary: #Hips is a hashtag to YouTube and goes first: above the title it shows "
            "#Hips #HipPain #TriggerPoints, not #HipPain #TriggerPoints #LivePainFree",
        ),
        (
            "Keeps Coming Back",
            "Keeps Coming Back #Hips",
            "title: #Hips is a hashtag to YouTube and goes first: above the title it shows #Hips, not #HipPain",
        ),
    ],
    ids=["summary", "title"],
)
def test_a_hashtag_in_the_text_that_pushes_out_the_chosen_ones_is_a_warning(example, old, new, says):
    edit(example / TOPIC, old, new)
    result = run("check")
    assert result.exit_code == 0
    assert f"Warning: {TOPIC}: {says}" in result.stderr


def test_a_number_or_an_addresss_anchor_is_no_hashtag(example):
    edit(example / TOPIC, "The back-burner reasons", "The #1 back-burner reasons (https://x.example/#Part)")
    result = run("check")
    assert result.exit_code == 0 and "hashtag" not in result.stderr, result.stderr


def test_the_new_month_placeholder_video_is_a_warning(example):
    edit(example / TOPIC, "https://youtu.be/hipPain2404", "https://youtu.be/XXXXXXXXXXX")
    result = run("check")
    assert result.exit_code == 0
    assert f"Warning: {TOPIC}: video: still the placeholder" in result.stderr
    assert "2024-04: ok (1 warning)" in result.stdout


def test_http_links_in_the_settings_are_warnings_in_every_month(example):
    edit(
        example / "monthlypost.toml",
        'website = "https://www.livepainfreeprocess.com"\n\n[blog]',
        'website = "http://www.livepainfreeprocess.com"\n\n[blog]',
    )
    result = run("build")
    assert result.exit_code == 0
    assert (
        "Warning: monthlypost.toml: [links] website: 'http://www.livepainfreeprocess.com' is not https://"
        in result.stderr
    )
    assert built_warnings(example) == [
        "monthlypost.toml: [links] website: 'http://www.livepainfreeprocess.com' is not https://; "
        "browsers and mail clients may flag it"
    ]


@pytest.mark.parametrize(
    ("char", "says"),
    [
        ("\u200b", "a zero-width space (U+200B), which shows as nothing"),
        ("\u00ad", "a soft hyphen (U+00AD), which shows only where a line breaks"),
        ("\u202e", "a right-to-left override (U+202E), which turns the text after it around"),
    ],
)
def test_an_invisible_character_pasted_into_a_value_is_a_warning_that_says_where(example, char, says):
    edit(example / TOPIC, '"Sitting compresses', f'"Sit{char}ting compresses')
    result = run("build")
    assert result.exit_code == 0
    assert f"Warning: {TOPIC}: key_points: character 4 is {says};" in result.stderr


def test_joiners_and_direction_marks_that_text_needs_are_no_warning(example):
    hebrew_then_mark = "\u05e9\u05dc\u05d5\u05dd\u200f"  # a right-to-left mark after a Hebrew word
    doctor = "👩\u200d⚕️"  # an emoji joined with a zero-width joiner
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a zero-width non-joiner inside a word
    edit(example / TOPIC, '"Sitting compresses', f'"{hebrew_then_mark} {doctor} {persian} Sitting compresses')
    result = run("check")
    assert result.exit_code == 0 and "Warning" not in result.stderr, result.stderr


@pytest.mark.parametrize("character", ["\\uFFFE", "\\uFFFF"])
def test_a_noncharacter_xml_refuses_is_an_error_not_a_broken_feed_or_email(example, character):
    """XML 1.0 has no place for U+FFFE and U+FFFF: an Atom feed holding one is not XML, and MJML fails on it."""
    edit(example / "campaigns/2024-04/topic.toml", 'title = "Why Your', f'title = "{character}Why Your')
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "Error: campaigns/2024-04/topic.toml: title: contains a control character" in result.stderr
    assert "Traceback" not in result.output


def test_two_months_with_one_slug_is_an_error_naming_the_other(example):
    import shutil

    shutil.copytree(example / "campaigns/2024-04", example / "campaigns/2024-05")
    result = run("build", "--all")
    assert result.exit_code == 1
    assert (
        "Error: campaigns/2024-05/topic.toml: slug: 'why-your-hip-pain-keeps-coming-back' is also the slug of "
        "2024-04: two posts would share one address" in result.stderr
    )
    edit(example / "campaigns/2024-05/topic.toml", "title =", 'slug = "hip-pain-again"\ntitle =')
    assert run("build", "--all").exit_code == 0


def test_the_page_title_keeps_the_site_name_only_when_it_fits(example):
    assert run("build", "2024-04").exit_code == 0
    html = (example / "dist/2024-04/post.html").read_text()
    assert "<title>Why Your Hip Pain Keeps Coming Back · Patrick Lerouge</title>" in html  # 54 characters
    edit(
        example / "campaigns/2024-04/topic.toml",
        'title = "Why Your Hip Pain Keeps Coming Back"',
        'title = "Why Your Hip Pain Keeps Coming Back, and the First Step"',
    )
    assert run("build", "2024-04").exit_code == 0
    html = (example / "dist/2024-04/post.html").read_text()
    assert "<title>Why Your Hip Pain Keeps Coming Back, and the First Step</title>" in html
