"""build: the example month's outputs, written together or not at all (SPEC §4)."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monthlypost import outputs
from monthlypost.markup import parser

from .conftest import ARCHIVED, GOLDEN, GOLDEN_MONTHS, Page, built_golden, edit, monthlypost, run, snapshot, write

OUT = Path("dist/2024-04")
GOLDEN_FILES = ["post.html", "post.md", "youtube.txt", "newsletter.mjml", "newsletter.txt"]


def normalise(name: str, text: str) -> str:
    """Strip what changes from release to release (the version in post.html's generator tag)."""
    return re.sub(r'content="monthlypost [^"]+"', 'content="monthlypost VERSION"', text)


@pytest.mark.parametrize("name", GOLDEN_FILES)
@pytest.mark.parametrize("golden_month", GOLDEN_MONTHS)
def test_the_golden_months_match_their_golden_files(golden_month, name, regen_golden, tmp_path, monkeypatch):
    """Regenerate with: python -m pytest tests/test_build.py --regen-golden"""
    out = built_golden(golden_month, tmp_path, monkeypatch)
    text = normalise(name, (out / name).read_text("utf-8"))
    golden = GOLDEN / golden_month / name
    if regen_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, "utf-8")
    assert text == golden.read_text("utf-8")


def test_build_writes_the_files_and_a_manifest(example):
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2024-04: built dist/2024-04\n" + ARCHIVED
    assert result.stderr == ""
    manifest = json.loads((example / OUT / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"post.html", "post.md", "youtube.txt"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((example / OUT / name).read_bytes()).hexdigest() == digest
    assert manifest["month"] == "2024-04"
    assert manifest["title"] == manifest["subject"] == "Why Your Hip Pain Keeps Coming Back"
    assert manifest["preheader"].startswith("The back-burner reasons")
    assert manifest["video_id"] == "hipPain2404"
    assert manifest["video_url"] == "https://www.youtube.com/watch?v=hipPain2404"
    assert manifest["warnings"] == []
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["inputs_sha256"])
    assert manifest["version"]


def test_building_twice_gives_the_same_bytes(example):
    run("build")
    first = snapshot(example / "dist")
    assert run("build", "--force").exit_code == 0
    assert snapshot(example / "dist") == first


def test_no_month_builds_the_newest(example):
    topic = (example / "campaigns/2024-04/topic.toml").read_text().replace('title = "', 'title = "Winter: ', 1)
    write(example / "campaigns/2023-12-winter/topic.toml", topic)
    write(example / "campaigns/2023-12-winter/script.md", "Winter.\n")
    result = run("build")
    assert result.stdout == "2024-04: built dist/2024-04\n" + ARCHIVED
    assert not (example / "dist/2023-12").exists()
    result = run("build", "--all")
    assert "2023-12: built dist/2023-12" in result.stdout


def test_a_month_folder_may_carry_a_slug(example):
    (example / "campaigns/2024-04").rename(example / "campaigns/2024-04-hip-pain")
    assert run("build", "2024-04").exit_code == 0
    assert (example / OUT / "post.html").is_file()


def test_two_folders_for_one_month_is_an_error(example):
    write(example / "campaigns/2024-04-again/script.md", "x")
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "Error: campaigns: two folders for 2024-04 (2024-04 and 2024-04-again); keep one" in result.stderr


def test_an_unknown_month_says_how_to_start_it(example):
    result = run("build", "2024-05")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: campaigns/2024-05: no folder for 2024-05 (months here: 2024-04); "
        "run 'monthlypost new 2024-05' to start it\n"
    )


@pytest.mark.parametrize("month", ["2024-13", "2024-00", "24-04", "2024-4", "April"])
def test_a_month_that_is_not_real_is_a_usage_error(example, month):
    result = run("build", month)
    assert result.exit_code == 2
    assert f"'{month}' is not a month like 2024-04" in result.stderr


def test_months_and_all_together_is_a_usage_error(example):
    result = run("build", "2024-04", "--all")
    assert result.exit_code == 2
    assert "name months or use --all, not both" in result.stderr


def test_an_up_to_date_month_is_not_rewritten(example):
    run("build")
    result = run("build")
    assert result.stdout == "2024-04: up to date in dist/2024-04 (--force rebuilds it)\n"
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy the video!")
    assert run("build").stdout == "2024-04: built dist/2024-04\n" + ARCHIVED
    assert "Enjoy the video!" in (example / OUT / "post.html").read_text()


def test_a_moved_workspace_is_still_up_to_date(example, tmp_path, monkeypatch):
    run("build")
    moved = tmp_path / "moved"
    example.rename(moved)
    monkeypatch.chdir(moved)
    assert run("list").stdout.split()[1] == "built"
    assert run("build").stdout.startswith("2024-04: up to date")


def test_a_settings_or_template_change_makes_the_month_stale(example):
    run("build")
    edit(example / "monthlypost.toml", "(878) 688-7378", "(878) 688-0000")
    assert "stale" in run("list").stdout
    assert run("build").stdout == "2024-04: built dist/2024-04\n"
    assert "(878) 688-0000" in (example / OUT / "youtube.txt").read_text()
    write(example / "templates/youtube.txt", '{% extends "default/youtube.txt" %}\n')
    assert "stale" in run("list").stdout


def test_outputs_edited_by_hand_are_never_overwritten_without_force(example):
    run("build")
    (example / OUT / "post.html").write_text("my careful edits")
    (example / OUT / "notes.txt").write_text("mine")
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy the video!")

    result = run("build")
    assert result.exit_code == 1
    assert "Error: dist/2024-04/post.html: edited since it was built" in result.stderr
    assert "Error: dist/2024-04/notes.txt: not written by monthlypost" in result.stderr
    assert (example / OUT / "post.html").read_text() == "my careful edits"

    assert run("build", "--force").exit_code == 0
    assert "Enjoy the video!" in (example / OUT / "post.html").read_text()
    assert not (example / OUT / "notes.txt").exists()


def test_a_folder_monthlypost_did_not_write_is_not_replaced(example):
    write(example / "elsewhere/2024-04/index.html", "someone else's site")
    result = run("build", "--out", "elsewhere")
    assert result.exit_code == 1
    assert "Error: elsewhere/2024-04/index.html: not written by monthlypost" in result.stderr
    assert (example / "elsewhere/2024-04/index.html").read_text() == "someone else's site"


def test_out_writes_somewhere_else(example, tmp_path):
    result = run("build", "--out", str(tmp_path / "site"))
    assert result.exit_code == 0
    assert (tmp_path / "site/2024-04/post.html").is_file()
    assert not (example / "dist").exists()


def test_a_failed_write_leaves_the_old_outputs(example, monkeypatch):
    run("build")
    before = snapshot(example / "dist")
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy the video!")

    real_write = outputs._write_new

    def disk_full(folder, name, data):
        if name == "youtube.txt":
            raise OSError(28, "No space left on device")
        return real_write(folder, name, data)

    monkeypatch.setattr(outputs, "_write_new", disk_full)
    result = run("build")
    assert result.exit_code == 1
    assert "Error: dist/2024-04: could not write the outputs: the disk is full" in result.stderr
    assert snapshot(example / "dist") == before  # nothing half-written
    assert [p.name for p in (example / "dist").iterdir() if p.is_dir()] == ["2024-04"]  # no staging folder left


def test_local_images_are_copied_beside_the_post(example):
    (example / "campaigns/2024-04/img").mkdir()
    (example / "campaigns/2024-04/img/foam roller.jpg").write_bytes(b"\xff\xd8jpeg")
    edit(
        example / "campaigns/2024-04/script.md",
        "Let me show you",
        "![A foam roller](<img/foam roller.jpg>)\n\nLet me show you",
    )
    assert run("build").exit_code == 0
    assert (example / OUT / "img/foam roller.jpg").read_bytes() == b"\xff\xd8jpeg"
    assert '<img src="img/foam%20roller.jpg" alt="A foam roller">' in (example / OUT / "post.html").read_text()
    manifest = json.loads((example / OUT / "manifest.json").read_text())
    assert "img/foam roller.jpg" in manifest["files"]


# --- One command at a time ------------------------------------------------------------------


def test_a_build_waits_for_another_command_in_the_workspace_and_says_so(example):
    from monthlypost.workspace import Workspace

    with Workspace(example).one_at_a_time(pytest.fail):  # as a build or a push holds it
        (example / ".monthlypost/lock").write_text(str(os.getpid()))  # the process id it writes
        waiting = monthlypost(example, "build", "2024-04")
        try:
            line = waiting.stderr.readline()
            assert line == f"Waiting for another monthlypost (process {os.getpid()}) to finish with this workspace…\n"
            time.sleep(0.5)
            assert waiting.poll() is None and not (example / "dist").exists()
        except BaseException:
            waiting.kill()
            waiting.communicate()
            raise
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert out == "2024-04: built dist/2024-04\n" + ARCHIVED


def test_two_builds_at_once_both_succeed(example):
    for month in range(1, 13):
        shutil.copytree(example / "campaigns/2024-04", example / f"campaigns/2023-{month:02}")
        edit(example / f"campaigns/2023-{month:02}/topic.toml", 'title = "', f'title = "2023-{month:02}: ')
    first, second = monthlypost(example, "build", "--all"), monthlypost(example, "build", "--all")
    results = [(process.wait(timeout=120), *process.communicate()) for process in (first, second)]
    assert [status for status, _, _ in results] == [0, 0], results
    assert sorted(out.splitlines()[-1] for _, out, _ in results) == [
        "built 0, up to date 13, failed 0",
        "built 13, up to date 0, failed 0",
    ]


@pytest.mark.parametrize("planted", ["link", "pipe", "linked state folder"])
def test_a_lock_file_planted_as_a_link_or_a_pipe_is_passed_over(example, tmp_path, planted):
    target = tmp_path / "elsewhere.txt"
    target.write_text("mine")
    if planted == "linked state folder":
        (example / ".monthlypost").symlink_to(tmp_path)
    else:
        (example / ".monthlypost").mkdir()
    if planted == "link":
        (example / ".monthlypost/lock").symlink_to(target)
    elif planted == "pipe":
        os.mkfifo(example / ".monthlypost/lock")
    done = subprocess.run(
        [sys.executable, "-m", "monthlypost", "build"], cwd=example, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert target.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["elsewhere.txt", "workspace"])


# --- post.html ------------------------------------------------------------------------------


def test_post_html_is_a_whole_page_with_its_metadata(example):
    edit(
        example / "campaigns/2024-04/topic.toml",
        "cta =",
        'chapters = ["0:00 Intro", "1:05 Sitting", "2:30 First step"]\ncta =',
    )
    run("build")
    text = (example / OUT / "post.html").read_text()
    page = Page(text)
    assert text.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "en", "dir": "ltr"}) in page.tags
    assert "<title>Why Your Hip Pain Keeps Coming Back · Patrick Lerouge</title>" in text
    assert text.count("<h1>") == 1
    assert page.meta("description") == [
        "The back-burner reasons your hip pain keeps coming back: overworked hip rotators, "
        "long hours of sitting, and that over-rotated first step."
    ]
    url = "https://www.livepainfreeprocess.com/blog/why-your-hip-pain-keeps-coming-back/"
    assert page.meta("og:url") == [url]
    assert ("link", {"rel": "canonical", "href": url}) in page.tags
    assert page.meta("og:image") == [url + "share.jpg"]  # the month's own image, beside the post
    assert page.meta("og:image:width") == ["1200"] and page.meta("og:image:height") == ["630"]
    assert page.meta("og:title") == ["Why Your Hip Pain Keeps Coming Back"]
    assert len(page.meta("article:tag")) == 8
    iframes = [a for t, a in page.tags if t == "iframe"]
    assert [a["src"] for a in iframes] == ["https://www.youtube-nocookie.com/embed/hipPain2404"]
    assert iframes[0]["title"] == "Why Your Hip Pain Keeps Coming Back"

    assert [t for t, a in page.tags if t == "script"] == ["script"]
    post, video = json.loads(page.scripts[0])["@graph"]
    assert post["@type"] == "BlogPosting" and video["@type"] == "VideoObject"
    assert video["name"] == "Why Your Hip Pain Keeps Coming Back"
    assert video["uploadDate"] == "2024-04-01"  # the example's video_date
    assert video["embedUrl"] == "https://www.youtube-nocookie.com/embed/hipPain2404"
    assert video["thumbnailUrl"] == ["https://i.ytimg.com/vi/hipPain2404/hqdefault.jpg"]
    assert [(c["name"], c["startOffset"], c.get("endOffset")) for c in video["hasPart"]] == [
        ("Intro", 0, 65),
        ("Sitting", 65, 150),
        ("First step", 150, None),
    ]
    assert "Recurring hip pain comes from overuse" in text
    assert "<h2>So, Why Does Your Hip Pain Keep Coming Back?</h2>" in text
    assert 'href="tel:+18786887378"' in text and "TRU 688 REST" in text
    assert "leave a comment down below" in text


def test_no_text_can_break_out_of_the_json_ld(example):
    edit(
        example / "campaigns/2024-04/topic.toml",
        "The back-burner reasons",
        "</script><script>alert(1)</script> reasons",
    )
    run("build")
    page = Page((example / OUT / "post.html").read_text())
    assert [t for t, a in page.tags if t == "script"] == ["script"]
    for item in json.loads(page.scripts[0])["@graph"]:
        assert item["description"].startswith("</script><script>alert(1)</script>")


def test_publish_date_and_slug_can_be_set(example):
    edit(example / "campaigns/2024-04/topic.toml", "cta =", 'publish_date = 2024-04-15\nslug = "hip-pain"\ncta =')
    run("build")
    post_md = (example / OUT / "post.md").read_text()
    assert "date: 2024-04-15T09:00:00+00:00\n" in post_md and 'slug: "hip-pain"\n' in post_md
    assert '<time datetime="2024-04-15">April 15, 2024</time>' in (example / OUT / "post.html").read_text()


# Titles as authors around the world write them: a usual romanisation where the language has one (as a reader
# would type the address), the letters themselves otherwise (as WordPress keeps them).
TITLES = {
    "Latin, German": ("Warum Hüftschmerzen größer werden", "warum-huftschmerzen-grosser-werden"),
    "Latin, Turkish": ("Kalça ağrısı: ılık duş", "kalca-agrisi-ilik-dus"),
    "Cyrillic": ("Почему болит бедро?", "pochemu-bolit-bedro"),
    "Greek": ("Γιατί πονάει το ισχίο", "giati-ponaei-to-ischio"),
    "Korean": ("고관절 통증이 다시 오는 이유", "gogwanjeol-tongjeungi-dasi-oneun-iyu"),
    "Armenian": ("Ազդրի ցավ", "azdri-tsav"),
    "Arabic": ("لماذا يعود ألم الورك؟", "لماذا-يعود-ألم-الورك"),
    "Hebrew": ("למה כאב הירך חוזר", "למה-כאב-הירך-חוזר"),
    "Japanese": ("股関節の痛みが戻る理由 3つ", "股関節の痛みが戻る理由-3つ"),
    "Chinese": ("为什么髋关节疼痛会复发", "为什么髋关节疼痛会复发"),
    "Devanagari": ("कूल्हे का दर्द क्यों लौटता है", "कूल्हे-का-दर्द-क्यों-लौटता-है"),
    "Thai": ("ทำไมปวดสะโพก", "ทำไมปวดสะโพก"),
}


@pytest.mark.parametrize("title, slug", TITLES.values(), ids=TITLES.keys())
def test_a_title_in_any_script_makes_a_readable_slug_of_its_own(title, slug):
    from monthlypost.sources import is_slug, slugify

    assert slugify(title) == slug and is_slug(slug)
    assert slugify(title + " 2") == slug + "-2"  # the next month on the same subject has a slug of its own


def test_a_slug_in_arabic_is_the_posts_address_percent_encoded_and_may_be_set_in_topic_toml(example):
    topic = example / "campaigns/2024-04/topic.toml"
    edit(topic, 'title = "Why Your Hip Pain Keeps Coming Back"', 'title = "لماذا يعود ألم الورك؟"')
    assert run("build", "2024-04").exit_code == 0
    url = "https://www.livepainfreeprocess.com/blog/%D9%84%D9%85%D8%A7%D8%B0%D8%A7-%D9%8A%D8%B9%D9%88%D8%AF-"
    url += "%D8%A3%D9%84%D9%85-%D8%A7%D9%84%D9%88%D8%B1%D9%83/"
    page = Page((example / OUT / "post.html").read_text())
    assert page.meta("og:url") == [url] and ("link", {"rel": "canonical", "href": url}) in page.tags
    assert 'slug: "لماذا-يعود-ألم-الورك"\n' in (example / OUT / "post.md").read_text()

    edit(topic, "cta =", 'slug = "ألم-الورك"\ncta =')
    assert run("build", "2024-04").exit_code == 0
    assert 'slug: "ألم-الورك"\n' in (example / OUT / "post.md").read_text()
    edit(topic, 'slug = "ألم-الورك"', 'slug = "ألم الورك"')
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "Error: campaigns/2024-04/topic.toml: slug: 'ألم الورك' is not a slug" in result.stderr


def test_post_html_has_one_top_level_heading_even_when_the_script_has_its_own(example):
    edit(example / "campaigns/2024-04/script.md", "## So, Why", "# So, Why")
    assert run("build", "2024-04").exit_code == 0
    html = (example / "dist/2024-04/post.html").read_text()
    assert html.count("<h1") == 1 and "<h2>So, Why Does Your Hip Pain Keep Coming Back?</h2>" in html


# --- post.md -------------------------------------------------------------------------------


def front_matter(text):
    head, body = text.removeprefix("---\n").split("\n---\n", 1)
    return {
        k: json.loads(v) if v[0] in '"[' else v for k, v in (line.split(": ", 1) for line in head.splitlines())
    }, body


def test_post_md_has_front_matter_and_the_markdown_body(example):
    edit(example / "campaigns/2024-04/topic.toml", "Why Your Hip Pain", 'Why \\"Your\\" Hip: Pain')
    run("build")
    meta, body = front_matter((example / OUT / "post.md").read_text())
    assert meta["title"] == 'Why "Your" Hip: Pain Keeps Coming Back'
    assert meta["date"] == "2024-04-01T09:00:00+00:00"
    assert meta["description"].startswith("The back-burner reasons")
    assert meta["tags"][:2] == ["Patrick Lerouge", "livepainfreeprocess.com"]
    assert meta["video"] == "https://www.youtube.com/watch?v=hipPain2404"
    html = parser().render(body)
    assert "<h2>So, Why Does Your Hip Pain Keep Coming Back?</h2>" in html
    assert "<li>Recurring hip pain comes from overuse" in html


# --- youtube.txt -------------------------------------------------------------------------


def description(root):
    return (root / OUT / "youtube.txt").read_text("utf-8")


def test_the_description_has_its_parts_in_order(example):
    edit(
        example / "campaigns/2024-04/topic.toml",
        "cta =",
        'chapters = ["0:00 Intro", "1:05 Why sitting matters", "12:30 The first step"]\ncta =',
    )
    edit(
        example / "monthlypost.toml",
        'hashtags = ["LivePainFree"]',
        'hashtags = ["LivePainFree", "#hippain"]\nfooter = "Not medical advice."',
    )
    run("build")
    text = description(example)
    order = [
        "The back-burner reasons",
        "• Recurring hip pain",
        "0:00 Intro\n1:05 Why sitting matters\n12:30 The first step\n",
        "Phone: (878) 688-7378 (TRU 688 REST)",
        "Email: Patrick@patricklerouge.com",
        "Website: https://www.livepainfreeprocess.com",
        "Not medical advice.",
        "#HipPain #TriggerPoints #LivePainFree",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert text.rstrip().splitlines()[-1] == "#HipPain #TriggerPoints #LivePainFree"  # each once, last
    assert text.count("livepainfreeprocess.com\n") == 1  # [links] website is the author's website: once
    assert "\n\n\n" not in text


def test_the_description_has_no_control_characters(example):
    edit(
        example / "monthlypost.toml",
        'hashtags = ["LivePainFree"]',
        'hashtags = ["LivePainFree"]\nfooter = "Bells and\\ttab"',
    )
    assert run("build").exit_code == 0
    text = description(example)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text)
    assert "Bells and tab" in text

    edit(example / "monthlypost.toml", "Bells and", "Bell\\u0007 and")
    result = run("build")
    assert result.exit_code == 1
    assert "Error: monthlypost.toml: [youtube] footer: contains a control character" in result.stderr


def test_links_are_listed_with_friendly_labels(example):
    edit(
        example / "monthlypost.toml",
        "[links]",
        '[links]\nyoutube = "https://www.youtube.com/@livepainfree"\n"My Clinic" = "https://clinic.example/"',
    )
    run("build")
    text = description(example)
    assert "YouTube: https://www.youtube.com/@livepainfree" in text
    assert "My Clinic: https://clinic.example/" in text


def test_script_images_carry_their_width_and_height_read_from_the_file(example):
    from PIL import Image

    folder = example / "campaigns/2024-04"
    Image.new("RGB", (1600, 900), "#2a7ab0").save(folder / "wide.png")
    Image.new("RGB", (300, 400), "#2a7ab0").save(folder / "narrow.jpg")
    (folder / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    text = (folder / "script.md").read_text()
    (folder / "script.md").write_text("![Wide](wide.png) ![Narrow](narrow.jpg) ![Drawn](drawing.svg)\n\n" + text)
    assert run("build", "2024-04").exit_code == 0
    post = (example / OUT / "post.html").read_text()
    assert '<img src="wide.png" alt="Wide" width="1600" height="900">' in post
    assert '<img src="narrow.jpg" alt="Narrow" width="300" height="400">' in post
    assert '<img src="drawing.svg" alt="Drawn">' in post  # a file Pillow does not measure: as it was
    email = (example / OUT / "newsletter.html").read_text()
    assert re.search(r'<img src="[^"]*/wide\.png" alt="Wide" width="536" height="302"', email)  # the column
    assert re.search(r'<img src="[^"]*/narrow\.jpg" alt="Narrow" width="300" height="400"', email)
