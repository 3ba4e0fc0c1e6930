"""SPEC §12 and §13: the archive (index.html, the feeds, the sitemap) and the month's image.

Each is judged by what reads it: feedparser (what feed readers and
RSS-to-email services are built on), the JSON Feed 1.1 schema, the
sitemaps.org XSD with Google's video extension (lxml), the Nu checker and
axe for the index page, and Pillow for the images.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO, edit, run, snapshot, write
from .test_fidelity import tool, vnu

SCHEMAS = Path(__file__).parent / "schemas"
ARCHIVE = ("index.html", "feed.xml", "feed.json", "sitemap.xml")
BASE = "https://www.livepainfreeprocess.com/blog/"
POST = BASE + "why-your-hip-pain-keeps-coming-back/"


def image(data: bytes):
    from PIL import Image

    return Image.open(io.BytesIO(data))


def add_month(root: Path, month: str, title: str, source: str = "2024-04") -> None:
    """Another month, a copy of ``source`` under another title and video."""
    shutil.copytree(root / "campaigns" / source, root / "campaigns" / month)
    topic = root / "campaigns" / month / "topic.toml"
    text = topic.read_text()
    text = re.sub(r'(?m)^title = ".*"$', f'title = "{title}"', text)
    text = re.sub(r"(?m)^publish_date = .*$", "", text)
    vid = (month.replace("-", "") + "abcdefgh")[:11]
    text = re.sub(r'(?m)^video = ".*"$', f'video = "https://youtu.be/{vid}"', text)
    topic.write_text(text)


def retitle(root: Path, month: str, title: str) -> None:
    topic = root / "campaigns" / month / "topic.toml"
    topic.write_text(re.sub(r'(?m)^title = ".*"$', lambda _: f'title = "{title}"', topic.read_text()))


def feed(root: Path):
    import feedparser

    parsed = feedparser.parse((root / "dist/feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


# --- The archive, as its readers read it ------------------------------------------------------------------


def test_the_example_builds_an_archive_of_every_built_month_newest_first(example):
    add_month(example, "2024-05", "Knees on the Stairs")
    result = run("build", "--all")
    assert result.exit_code == 0, result.output
    assert "archive: written in dist (index.html, feed.xml, feed.json, sitemap.xml)" in result.stdout
    parsed = feed(example)
    assert parsed.feed.title == "Patrick Lerouge"
    assert [link.href for link in parsed.feed.links if link.rel == "self"] == [BASE + "feed.xml"]
    first, second = parsed.entries
    assert (first.title, second.title) == ("Knees on the Stairs", "Why Your Hip Pain Keeps Coming Back")
    assert second.link == POST
    assert second.id == "tag:www.livepainfreeprocess.com,2024:2024-04"  # neither the slug nor the title
    assert second.published == "2024-04-01T09:00:00+00:00"  # RFC 3339, in the author's zone
    content = second.content[0].value
    assert content.startswith('<p><a href="https://www.youtube.com/watch?v=')
    assert f'src="{POST}share.jpg"' in content.split("</p>")[0]  # the post, opening with its image
    # Media RSS at the entry and in its media:group: feedparser reads both into one list
    assert [t["url"] for t in second.media_thumbnail] == [POST + "share.jpg"] * 2
    assert second.media_player["url"].startswith("https://www.youtube-nocookie.com/embed/")
    assert second.media_content[0]["url"] == "https://www.youtube.com/watch?v=hipPain2404"
    xml = (example / "dist/feed.xml").read_text()
    group = xml[xml.index("<media:group>") : xml.index("</media:group>")]
    assert "<media:thumbnail" in group and "<media:player" in group and "<media:description" in group


def json_feed_errors(root: Path) -> list[str]:
    import jsonschema

    data = json.loads((root / "dist/feed.json").read_text())
    schema = json.loads((SCHEMAS / "jsonfeed-1.1.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(data)]


def test_the_json_feed_passes_the_json_feed_1_1_schema(example):
    add_month(example, "2024-05", "Knees on the Stairs")
    assert run("build", "--all").exit_code == 0
    assert json_feed_errors(example) == []
    data = json.loads((example / "dist/feed.json").read_text())
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    item = data["items"][1]
    assert isinstance(item["id"], str) and item["id"] == "tag:www.livepainfreeprocess.com,2024:2024-04"
    assert item["image"] == POST + "share.jpg" and item["language"] == "en"
    assert item["authors"] == [{"name": "Patrick Lerouge", "url": "https://www.livepainfreeprocess.com"}]
    assert datetime.datetime.fromisoformat(item["date_published"]).utcoffset() is not None


def sitemap_schema():
    """The sitemaps.org 0.9 XSD (the npm package sitemap ships it) with Google's video extension."""
    from lxml import etree

    sitemaps = tool(REPO / "node_modules/sitemap/schema/sitemap.xsd")
    both = f"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
      <xsd:import namespace="http://www.sitemaps.org/schemas/sitemap/0.9" schemaLocation="{sitemaps.as_uri()}"/>
      <xsd:import namespace="http://www.google.com/schemas/sitemap-video/1.1"
                  schemaLocation="{(SCHEMAS / "sitemap-video.xsd").as_uri()}"/>
    </xsd:schema>"""
    return etree.XMLSchema(etree.fromstring(both.encode(), base_url=SCHEMAS.as_uri() + "/"))


def test_the_sitemap_passes_the_sitemaps_xsd_with_googles_video_extension(example):
    from lxml import etree

    assert run("build", "2024-04").exit_code == 0
    document = etree.parse(str(example / "dist/sitemap.xml"))
    schema = sitemap_schema()
    assert schema.validate(document), schema.error_log
    video = "{http://www.google.com/schemas/sitemap-video/1.1}"
    (entry,) = document.iter(f"{video}video")
    assert entry.findtext(f"{video}thumbnail_loc") == POST + "share.jpg"
    assert entry.findtext(f"{video}player_loc").startswith("https://www.youtube-nocookie.com/embed/")
    assert entry.findtext(f"{video}title") == "Why Your Hip Pain Keeps Coming Back"
    # the schema is not a formality: a sitemap breaking the video rules fails it
    broken = etree.fromstring(
        (example / "dist/sitemap.xml")
        .read_bytes()
        .replace(b"<video:title>", b"<video:name>")
        .replace(b"</video:title>", b"</video:name>")
    )
    assert not schema.validate(broken)


def nu_messages(page: Path) -> list[dict]:
    done = subprocess.run(
        ["java", "-jar", str(vnu()), "--format", "json", str(page)], capture_output=True, text=True, timeout=300
    )
    return json.loads(done.stderr or '{"messages": []}')["messages"]


def test_the_index_page_and_a_post_linking_to_it_pass_the_nu_checker(example):
    add_month(example, "2024-05", "Knees on the Stairs")
    assert run("build", "--all").exit_code == 0
    assert nu_messages(example / "dist/index.html") == []
    assert nu_messages(example / "dist/2024-04/post.html") == []  # with its links to the archive


@pytest.mark.parametrize("width", [375, 1280])
def test_the_index_page_has_no_axe_violation_and_fits_the_screen(example, browser, width):
    axe = tool(REPO / "node_modules/axe-core/axe.min.js")
    add_month(example, "2024-05", "Knees on the Stairs")
    assert run("build", "--all").exit_code == 0
    dist = example / "dist"
    page = browser.new_page(viewport={"width": width, "height": 800})

    def local(route):  # the images as they will be served beside the posts, from the month folders here
        url = route.request.url
        if url.startswith("file:"):
            return route.continue_()
        found = [p for p in dist.glob("*/" + url.rsplit("/", 1)[-1]) if url.startswith(BASE)]
        return route.fulfill(path=str(found[0])) if found else route.abort()

    page.route("**/*", local)
    page.goto((dist / "index.html").as_uri())
    page.add_script_tag(content=axe.read_text())
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => v.id)"
    )
    assert found == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    titles = page.locator("h2").all_inner_texts()
    assert titles == ["Knees on the Stairs", "Why Your Hip Pain Keeps Coming Back"]
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth === 1200)")
    page.close()


def test_a_post_links_to_the_index_and_its_neighbours_and_a_new_month_makes_them_stale(example):
    add_month(example, "2024-03", "Backs at the Desk")
    assert run("build", "--all").exit_code == 0
    april = (example / "dist/2024-04/post.html").read_text()
    assert f'<a href="{BASE}">All videos</a>' in april
    assert f'<a href="{BASE}backs-at-the-desk/" rel="prev"><span>Previous</span> Backs at the Desk</a>' in april
    assert 'rel="next"' not in april
    add_month(example, "2024-05", "Knees on the Stairs")
    result = run("build", "--all")
    assert "2024-04: built" in result.stdout  # its next link changed
    assert "2024-03: built" not in result.stdout and "2024-03: up to date" in result.stdout
    april = (example / "dist/2024-04/post.html").read_text()
    assert f'<a href="{BASE}knees-on-the-stairs/" rel="next"><span>Next</span> Knees on the Stairs</a>' in april


def test_an_entrys_id_survives_a_new_title_and_slug(example):
    assert run("build", "2024-04").exit_code == 0
    before = feed(example).entries[0].id
    retitle(example, "2024-04", "Hip Pain, Again")
    assert run("build", "2024-04").exit_code == 0
    entry = feed(example).entries[0]
    assert entry.title == "Hip Pain, Again" and entry.id == before


def test_a_month_that_fails_to_build_keeps_its_previous_entry(example):
    add_month(example, "2024-05", "Knees on the Stairs")
    assert run("build", "--all").exit_code == 0
    edit(example / "campaigns/2024-05/topic.toml", 'title = "Knees on the Stairs"', 'title = ""')
    retitle(example, "2024-04", "Hip Pain, Again")
    result = run("build", "--all")
    assert result.exit_code == 1
    assert [e.title for e in feed(example).entries] == ["Knees on the Stairs", "Hip Pain, Again"]


def test_without_a_blog_address_no_archive_and_one_warning_for_all_months(example):
    edit(example / "monthlypost.toml", 'url = "https://www.livepainfreeprocess.com/blog/{slug}/"\n', "")
    add_month(example, "2024-05", "Knees on the Stairs")
    for command in ("build", "check"):
        result = run(command, "--all")
        assert result.exit_code == 0, result.output
        assert result.stderr.count("has no [blog] url, so the archive") == 1, result.stderr
    assert sorted(p.name for p in (example / "dist").iterdir()) == ["2024-04", "2024-05"]
    post = (example / "dist/2024-04/post.html").read_text()
    assert "All videos" not in post and "hqdefault.jpg" in post  # YouTube's thumbnail, for want of an address


def test_an_archive_file_monthlypost_did_not_write_is_never_replaced(example):
    (example / "dist").mkdir()
    (example / "dist/index.html").write_text("<p>my own home page</p>")
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "dist/index.html: not written by monthlypost; move it elsewhere, or rerun with --force" in result.stderr
    assert (example / "dist/index.html").read_text() == "<p>my own home page</p>"
    assert not (example / "dist/feed.xml").exists()  # all of it, or none
    assert (example / "dist/2024-04/post.html").exists()  # the month itself was built
    assert run("build", "2024-04", "--force").exit_code == 0
    assert "Why Your Hip Pain Keeps Coming Back" in (example / "dist/index.html").read_text()


def test_an_archive_file_edited_by_hand_is_never_replaced(example):
    assert run("build", "2024-04").exit_code == 0
    with (example / "dist/feed.xml").open("a") as f:
        f.write("<!-- mine -->")
    retitle(example, "2024-04", "Hip Pain, Again")
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "dist/feed.xml: edited since it was built" in result.stderr
    assert "Why Your Hip Pain" in (example / "dist/index.html").read_text()  # none of it was replaced


def test_an_unchanged_archive_is_not_rewritten(example):
    assert run("build", "2024-04").exit_code == 0
    before = {name: os.stat(example / "dist" / name).st_mtime_ns for name in ARCHIVE}
    result = run("build", "2024-04")
    assert "archive:" not in result.output
    assert {name: os.stat(example / "dist" / name).st_mtime_ns for name in ARCHIVE} == before


def test_a_build_killed_while_moving_the_archive_in_is_finished_by_the_next(example):
    from monthlypost import archive

    assert run("build", "2024-04").exit_code == 0
    old = snapshot(example / "dist")
    dist = example / "dist"
    files = {name: (dist / name).read_bytes().replace(b"Patrick", b"Pat") for name in ARCHIVE}
    moves = []
    real = os.replace

    def killed_after_two(source, target):
        if len(moves) == 2:
            raise KeyboardInterrupt
        moves.append(target)
        real(source, target)

    os.replace = killed_after_two
    try:
        with pytest.raises(KeyboardInterrupt):
            archive.commit(dist, files)
    finally:
        os.replace = real
    staging = [p.name for p in dist.iterdir() if p.name.startswith(".archive.new-")]
    assert len(staging) == 1  # left whole: the next build finishes it
    os.rename(dist / staging[0], dist / ".archive.new-999999999")  # as if its process were gone
    archive.recover(dist)
    assert {name: (dist / name).read_bytes() for name in ARCHIVE} == files
    assert not [p for p in dist.iterdir() if p.name.startswith(".archive")]
    assert old != snapshot(dist)
    assert run("build", "2024-04").exit_code == 0  # and what it finished is taken as monthlypost's


def test_a_staging_folder_that_is_not_whole_is_thrown_away(example):
    from monthlypost import archive

    assert run("build", "2024-04").exit_code == 0
    dist = example / "dist"
    before = snapshot(dist)
    half = dist / ".archive.new-999999999"
    half.mkdir()
    (half / "index.html").write_text("half")
    archive.recover(dist)
    assert not half.exists() and snapshot(dist) == before


def test_a_hundred_and_twenty_months_make_one_archive(example):
    from lxml import etree

    for n in range(1, 120):
        year, month = divmod(n + 3, 12)
        add_month(example, f"{2024 + year}-{month + 1:02d}", f"Month number {n}")
    result = run("build", "--all")
    assert result.exit_code == 0, result.output
    parsed = feed(example)
    assert len(parsed.entries) == 120
    assert parsed.entries[0].title == "Month number 119" and parsed.entries[-1].title.startswith("Why Your Hip")
    assert len({entry.id for entry in parsed.entries}) == 120
    assert len(json.loads((example / "dist/feed.json").read_text())["items"]) == 120
    assert json_feed_errors(example) == []
    schema = sitemap_schema()
    assert schema.validate(etree.parse(str(example / "dist/sitemap.xml"))), schema.error_log
    assert (example / "dist/index.html").read_text().count('<li class="entry">') == 120
    assert nu_messages(example / "dist/index.html") == []


# --- The month's image --------------------------------------------------------------------------------


def test_a_drawn_image_becomes_the_share_card_and_the_emails_picture(example):
    assert run("build", "2024-04").exit_code == 0
    out = example / "dist/2024-04"
    share, picture = (out / "share.jpg").read_bytes(), (out / "email.jpg").read_bytes()
    assert image(share).size == (1200, 630) and image(share).format == "JPEG" and len(share) < 1_000_000
    assert image(picture).size == (1072, 603)
    assert not (out / "youtube-thumbnail.jpg").exists()  # only from a creator's own thumbnail
    post = (out / "post.html").read_text()
    assert f'<meta property="og:image" content="{POST}share.jpg">' in post
    assert '<meta property="og:image:width" content="1200">' in post
    assert '<meta property="og:image:height" content="630">' in post
    assert '<meta property="og:image:alt" content="Why Your Hip Pain Keeps Coming Back">' in post
    assert '<meta name="twitter:card" content="summary_large_image">' in post
    email = (out / "newsletter.html").read_text()
    (img,) = re.findall(r"<img[^>]*email\.jpg[^>]*>", email)
    assert f'src="{POST}email.jpg"' in img and 'width="536"' in img


def play_button_at(data: bytes, x: float, y: float) -> bool:
    """Whether the image has the play button's white triangle on a dark disc about (x, y) (fractions)."""
    picture = image(data).convert("L")
    cx, cy = round(picture.width * x), round(picture.height * y)
    return picture.getpixel((cx, cy)) > 230 and picture.getpixel((cx - round(picture.width * 0.05), cy)) < 60


def test_a_creators_thumbnail_is_the_master_of_all_three(example):
    from PIL import Image

    master = Image.new("RGB", (1920, 1080), "#336699")
    master.paste(Image.new("RGB", (200, 200), "#ffcc00"), (0, 0))  # a corner the share card may cut
    buffer = io.BytesIO()
    master.save(buffer, "PNG")
    (example / "campaigns/2024-04/thumbnail.png").write_bytes(buffer.getvalue())
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    out = example / "dist/2024-04"
    youtube = (out / "youtube-thumbnail.jpg").read_bytes()
    assert image(youtube).size == (1280, 720) and len(youtube) < 2 * 2**20
    assert image((out / "share.jpg").read_bytes()).size == (1200, 630)
    email = (out / "email.jpg").read_bytes()
    assert play_button_at(email, 0.5 + 0.01, 0.5)  # drawn into the pixels, in the middle
    centre = image((out / "share.jpg").read_bytes()).convert("RGB").getpixel((600, 315))
    assert abs(centre[0] - 0x33) < 12 and abs(centre[2] - 0x99) < 12  # the master's own colour, not drawn


def test_the_drawn_emails_picture_has_a_play_button(example):
    assert run("build", "2024-04").exit_code == 0
    assert play_button_at((example / "dist/2024-04/email.jpg").read_bytes(), 0.8 + 0.01, 0.5)


def test_topic_toml_may_name_the_thumbnail_and_a_bad_one_is_an_error(example):
    write(example / "campaigns/2024-04/art/cover.jpg", "not a picture")
    edit(example / "campaigns/2024-04/topic.toml", "title =", 'thumbnail = "art/cover.jpg"\ntitle =')
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "campaigns/2024-04/art/cover.jpg: is not a JPEG or PNG image that can be read" in result.stderr
    edit(
        example / "campaigns/2024-04/topic.toml", 'thumbnail = "art/cover.jpg"', 'thumbnail = "../../monthlypost.toml"'
    )
    result = run("build", "2024-04")
    assert "thumbnail: '../../monthlypost.toml' leads outside the month's folder" in result.stderr


def test_a_thumbnail_not_16_by_9_or_small_is_a_warning(example):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), "#123456").save(buffer, "JPEG")
    (example / "campaigns/2024-04/thumbnail.jpg").write_bytes(buffer.getvalue())
    result = run("build", "2024-04")
    assert result.exit_code == 0
    assert "thumbnail.jpg: is 800×800 pixels, not 16:9; its edges are cut to make it 16:9" in result.stderr
    assert "thumbnail.jpg: is 800×800 pixels; YouTube and the share card want 1280×720 or more" in result.stderr


def test_a_thumbnail_added_later_makes_the_month_stale(example):
    assert run("build", "2024-04").exit_code == 0
    assert "up to date" in run("build", "2024-04").stdout
    shutil.copy(example / "dist/2024-04/share.jpg", example / "campaigns/2024-04/thumbnail.jpg")
    result = run("build", "2024-04")
    assert "2024-04: built" in result.stdout
    assert (example / "dist/2024-04/youtube-thumbnail.jpg").exists()


def test_an_unchanged_month_does_not_redraw_its_images(example, monkeypatch):
    from monthlypost import image as drawing

    assert run("build", "2024-04").exit_code == 0
    before = (example / "dist/2024-04/share.jpg").read_bytes()
    drawn = []
    real = drawing.month_images
    monkeypatch.setattr(drawing, "month_images", lambda *a: drawn.append(a) or real(*a))
    edit(example / "campaigns/2024-04/script.md", "Let me show you", "Let me show you now")
    assert run("build", "2024-04").exit_code == 0
    assert drawn == [] and (example / "dist/2024-04/share.jpg").read_bytes() == before
    assert run("build", "2024-04", "--force").exit_code == 0
    assert drawn == []
    retitle(example, "2024-04", "Hip Pain, Again")
    assert run("build", "2024-04").exit_code == 0
    assert len(drawn) == 1 and (example / "dist/2024-04/share.jpg").read_bytes() != before


def ink_columns(data: bytes) -> tuple[int, int]:
    """The leftmost and rightmost columns with white text in an image on a dark background."""
    picture = image(data).convert("L").point(lambda v: 255 if v > 200 else 0)
    box = picture.getbbox()
    assert box is not None
    return box[0], box[2]


@pytest.mark.parametrize(
    "title, right_to_left",
    [("لماذا يعود ألم الورك دائما", True), ("למה כאב הירך חוזר", True), ("कूल्हे का दर्द क्यों लौटता है", False)],
)
def test_a_title_in_another_script_is_shaped_and_set_from_its_own_side(title, right_to_left):
    from PIL import features

    from monthlypost.image import Look, month_images, undrawable

    assert features.check("raqm")  # shaping (HarfBuzz) and bidi (FriBiDi): Pillow's wheels carry them
    assert undrawable(title) == ""  # a shipped font has every letter
    share = month_images(Look(title, "P", "#2a7ab0"), None)["share.jpg"]
    left, right = ink_columns(share)
    margin = round(1200 * 0.075)
    if right_to_left:
        assert abs(right - (1200 - margin)) <= 3 and left > margin + 40
    else:
        assert abs(left - margin) <= 6


def test_the_drawing_is_the_same_on_every_run():
    from monthlypost.image import Look, month_images

    look = Look("Why Your Hip Pain Keeps Coming Back", "Patrick Lerouge", "#2a7ab0")
    assert month_images(look, None) == month_images(look, None)


def test_letters_no_shipped_font_has_are_left_out_and_said(example):
    retitle(example, "2024-04", "腰痛 Why Your Hip Pain 🔥")
    result = run("build", "2024-04")
    assert result.exit_code == 0
    assert "the drawn image leaves out 腰, 痛, 🔥" in result.stderr


def test_a_thumbnail_whose_pixels_are_cut_short_is_an_error_not_a_traceback(example):
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((1280, 720), 60).convert("RGB").save(buffer, "JPEG")
    (example / "campaigns/2024-04/thumbnail.jpg").write_bytes(buffer.getvalue()[:20_000])  # the header, and a bit
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "Error: campaigns/2024-04/thumbnail.jpg: is damaged: its pixels cannot all be read" in result.stderr
    assert "Traceback" not in result.output
    assert not (example / "dist/2024-04").exists()


@pytest.mark.parametrize(
    "text, says",
    [
        ("{{ 1 / 0 }}", "line 1: ZeroDivisionError: division by zero"),
        ("{% for e in entries %}{{ e.nothing.here }}{% endfor %}", "line 1: 'dict object' has no attribute 'nothing'"),
        ('{% include "index.html" %}', "extends or includes itself"),
    ],
)
def test_a_failing_index_template_of_the_workspaces_is_an_error_naming_it(example, text, says):
    write(example / "templates/index.html", text)
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert f"Error: templates/index.html: {says}" in result.stderr
    assert "archive: not written" in result.stderr and "Traceback" not in result.output
    assert (example / "dist/2024-04/post.html").exists() and not (example / "dist/index.html").exists()
