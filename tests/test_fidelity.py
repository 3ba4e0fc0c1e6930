"""SPEC §4: each output holds up in the software that reads it (issue 9's findings, one test each).

The W3C Nu HTML Checker and the JS MJML compiler's strict validator run over
every golden month. They need Java and Node.js packages: in CI, .ci/run
installs them and a missing one fails; elsewhere the test skips, saying how.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from monthlypost.colors import TINT, contrast

from .conftest import GOLDEN, GOLDEN_MONTHS, REPO, Page, built_golden, edit, no_blog, run

OUT = Path("dist/2024-04")
TOPIC = "campaigns/2024-04/topic.toml"
SETTINGS = "monthlypost.toml"
INSTALL = (
    "install them with: apt-get install default-jre-headless && npm install vnu-jar mjml axe-core sitemap "
    "(in the repository)"
)


def tool(path: Path, *needs: str) -> Path:
    """A checker installed in the repository's node_modules; missing: a failure in CI, else a skip."""
    missing = [need for need in needs if shutil.which(need) is None]
    if path.exists() and not missing:
        return path
    reason = f"{path.relative_to(REPO)} {'and ' + ', '.join(missing) if missing else ''} not found; {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def vnu() -> Path:
    return tool(REPO / "node_modules/vnu-jar/build/dist/vnu.jar", "java")


def mjml_cli() -> Path:
    return tool(REPO / "node_modules/.bin/mjml", "node")


@pytest.mark.parametrize("month", GOLDEN_MONTHS)
def test_the_nu_html_checker_has_nothing_to_say_about_any_post(month):
    """Not an error, not a warning, not even an info message (such as a pointless slash in <br />)."""
    done = subprocess.run(
        ["java", "-jar", str(vnu()), "--format", "json", str(GOLDEN / month / "post.html")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    assert messages == [], messages


@pytest.mark.parametrize("month", GOLDEN_MONTHS)
def test_mjml_strict_validation_passes_and_the_thumbnail_is_as_wide_as_the_js_compiler_makes_it(
    month, tmp_path, monkeypatch
):
    source = GOLDEN / month / "newsletter.mjml"
    checked = subprocess.run(
        [str(mjml_cli()), "--config.validationLevel=strict", "-v", str(source)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    js = subprocess.run(
        [str(mjml_cli()), str(source), "-s", "--config.fonts={}"], capture_output=True, text=True, check=True
    ).stdout
    ours = (built_golden(month, tmp_path, monkeypatch) / "newsletter.html").read_text()
    width = r'<img[^>]*email\.jpg[^>]*?width="(\d+)"|<img[^>]*width="(\d+)"[^>]*email\.jpg'
    assert re.search(width, ours) and re.search(width, js)
    assert re.search(width, ours).groups() == re.search(width, js).groups()


def test_the_scripts_void_elements_pass_both_checkers(example):
    """A hard break, a rule and an image, written as HTML5 (<br>, no slash), in the post and the email."""
    edit(
        example / "campaigns/2024-04/script.md",
        "Let me show you",
        "One line\\\nand the next.\n\n---\n\n![A roller](https://example.com/roller.jpg)\n\nLet me show you",
    )
    assert run("build", "2024-04").exit_code == 0
    post, mjml = (example / OUT / "post.html"), (example / OUT / "newsletter.mjml")
    assert "<br>" in post.read_text() and "<hr>" in post.read_text() and "<br>" in mjml.read_text()
    done = subprocess.run(["java", "-jar", str(vnu()), "--format", "json", str(post)], capture_output=True, text=True)
    assert json.loads(done.stderr or '{"messages": []}')["messages"] == []
    checked = subprocess.run(
        [str(mjml_cli()), "--config.validationLevel=strict", "-v", str(mjml)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- 1, 10, 11: the email's thumbnail, fonts, images off, the preheader ------------------------------


def test_the_thumbnail_has_its_columns_width_and_a_styled_alt_text(example):
    run("build", "2024-04")
    html = (example / OUT / "newsletter.html").read_text()
    (img,) = re.findall(r"<img[^>]*email\.jpg[^>]*>", html)
    assert 'width="536"' in img  # 600 px less the padding, as Outlook reads it
    assert "font-size: 17px" in img and "color: #1f2328" in img and "font-family:" in img


def test_the_email_loads_no_web_font(example):
    run("build", "2024-04")
    html = (example / OUT / "newsletter.html").read_text()
    assert "@import" not in html and "fonts.googleapis" not in html and "<link" not in html


def test_a_hidden_spacer_follows_the_preheader(example):
    run("build", "2024-04")
    html = (example / OUT / "newsletter.html").read_text()
    preheader = html.index("The back-burner reasons your hip pain")
    spacer = html.index('aria-hidden="true">', preheader)
    assert spacer - preheader < 600  # right after it, before any of the email's words
    assert html[spacer:].startswith('aria-hidden="true">\u034f\u200c&nbsp;')
    assert html.index("Why Your Hip Pain Keeps Coming Back</h1>") > spacer


# --- 2, 8, 12: post.html ---------------------------------------------------------------------------------


def with_chapters(root: Path, chapters: str = '"0:00 Intro", "0:45 Sitting", "10:05 First step"') -> None:
    edit(root / TOPIC, "cta =", f"chapters = [{chapters}]\ncta =")


def test_chapter_times_are_durations(example):
    with_chapters(example)
    run("build", "2024-04")
    html = (example / OUT / "post.html").read_text()
    assert '<time datetime="PT0S">0:00</time>' in html
    assert '<time datetime="PT45S">0:45</time>' in html
    assert '<time datetime="PT10M5S">10:05</time>' in html


def test_the_post_links_to_the_video_beside_the_embed(example):
    run("build", "2024-04")
    page = Page((example / OUT / "post.html").read_text())
    links = [a.get("href") for t, a in page.tags if t == "a"]
    assert "https://www.youtube.com/watch?v=hipPain2404" in links
    assert "Watch on YouTube" in (example / OUT / "post.html").read_text()


@pytest.mark.parametrize("chapters", [True, False])
def test_the_description_links_to_the_post_when_there_is_one(example, chapters):
    if chapters:
        with_chapters(example)
    run("build", "2024-04")
    description = (example / "dist/2024-04/youtube.txt").read_text()
    assert "Read the full post: https://www.livepainfreeprocess.com/blog/why-your-hip-pain-keeps-coming-back/" in (
        description
    )


def test_one_wording_for_the_key_points_in_every_output(example):
    run("build", "2024-04")
    assert "<h2>In this video</h2>" in (example / OUT / "post.html").read_text()
    assert "## In this video" in (example / OUT / "post.md").read_text()
    assert re.search(r"<h2[^>]*>In this video</h2>", (example / OUT / "newsletter.html").read_text())
    assert "IN THIS VIDEO" in (example / OUT / "newsletter.txt").read_text()
    assert "In this video:" in (example / OUT / "youtube.txt").read_text()
    assert "Key points" not in (example / OUT / "post.html").read_text()


# --- 3, 4: post.md as static site generators read it ----------------------------------------------------


def rendered(markdown: str) -> str:
    """post.md's body as CommonMark renders it (Hugo's goldmark, Eleventy's markdown-it, Jekyll's kramdown agree)."""
    return MarkdownIt("commonmark").render(markdown.split("---\n", 2)[2])


def test_the_contact_block_is_one_line_each(example):
    run("build", "2024-04")
    html = rendered((example / OUT / "post.md").read_text())
    assert '<li>Phone: <a href="tel:+18786887378">(878) 688-7378 (TRU 688 REST)</a></li>' in html
    assert "<li>Email: " in html and "<li>Website: " in html


@pytest.mark.parametrize(
    "point", ["# heading?", "1. numbered", "---", "+ plus", "> quoted", "<b>bold</b>", "[link](https://x.example)"]
)
def test_a_key_point_stays_text_in_post_md(example, point):
    edit(example / TOPIC, "key_points = [", f"key_points = [{json.dumps(point)}, ")
    run("build", "2024-04")
    html = rendered((example / OUT / "post.md").read_text())
    first = html.split("<h2>In this video</h2>\n<ul>\n<li>", 1)[1].split("</li>", 1)[0]
    assert first == point.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# --- 5, 6: the .eml's headers --------------------------------------------------------------------------------


def eml(root: Path) -> email.message.EmailMessage:
    return email.message_from_bytes((root / OUT / "newsletter.eml").read_bytes(), policy=email.policy.strict)


def generic(root: Path, url: str) -> None:
    edit(root / SETTINGS, 'provider = "mailchimp"', f'provider = "generic"\nunsubscribe_url = "{url}"')
    edit(
        root / SETTINGS,
        'website = "https://www.livepainfreeprocess.com"\n',
        'website = "https://www.livepainfreeprocess.com"\npostal_address = "1 Main St"\n',
    )


def test_one_click_unsubscribe_headers_with_an_https_unsubscribe_page(example):
    generic(example, "https://www.livepainfreeprocess.com/unsubscribe")
    assert run("build", "2024-04").exit_code == 0
    msg = eml(example)
    assert msg["List-Unsubscribe"] == "<https://www.livepainfreeprocess.com/unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_no_one_click_header_for_a_plain_http_page(example):
    generic(example, "http://www.livepainfreeprocess.com/unsubscribe")
    assert run("build", "2024-04").exit_code == 0
    msg = eml(example)
    assert msg["List-Unsubscribe"] == "<http://www.livepainfreeprocess.com/unsubscribe>"
    assert msg["List-Unsubscribe-Post"] is None


def test_a_provider_adds_its_own_unsubscribe_headers(example):
    run("build", "2024-04")
    assert eml(example)["List-Unsubscribe"] is None


def test_reply_to_only_when_it_differs_from_the_sender(example):
    run("build", "2024-04")
    assert eml(example)["Reply-To"] is None
    edit(example / SETTINGS, 'reply_to = "Patrick@patricklerouge.com"', 'reply_to = "desk@patricklerouge.com"')
    run("build", "2024-04")
    assert eml(example)["Reply-To"] == "Patrick Lerouge <desk@patricklerouge.com>"


# --- 7: structured data ---------------------------------------------------------------------------------------


def graph(root: Path) -> dict[str, dict]:
    data = json.loads(Page((root / OUT / "post.html").read_text()).scripts[0])
    assert data["@context"] == "https://schema.org"
    return {item["@type"]: item for item in data["@graph"]}


def test_structured_data_for_the_post_and_its_video(example):
    with_chapters(example)
    edit(example / TOPIC, "cta =", 'duration = "12:34"\ncta =')
    edit(
        example / SETTINGS,
        'website = "https://www.livepainfreeprocess.com"\n',
        'website = "https://www.livepainfreeprocess.com"\ntimezone = "America/Los_Angeles"\n',
    )
    assert run("build", "2024-04").exit_code == 0
    items = graph(example)
    post, video = items["BlogPosting"], items["VideoObject"]
    url = "https://www.livepainfreeprocess.com/blog/why-your-hip-pain-keeps-coming-back/"
    assert post["headline"] == "Why Your Hip Pain Keeps Coming Back"
    assert post["datePublished"] == "2024-04-01T09:00:00-07:00"
    assert post["author"]["name"] == "Patrick Lerouge"
    assert post["image"] == [
        "https://www.livepainfreeprocess.com/blog/why-your-hip-pain-keeps-coming-back/share.jpg",
        "https://i.ytimg.com/vi/hipPain2404/hqdefault.jpg",
    ]
    assert post["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert post["video"] == {"@id": video["@id"]} and video["@id"] == url + "#video"
    assert video["uploadDate"] == "2024-04-01"  # the example's video_date, not the post's moment
    assert post["dateModified"] == post["datePublished"]  # never updated
    assert video["duration"] == "PT12M34S"
    assert [(c["startOffset"], c["endOffset"]) for c in video["hasPart"]] == [(0, 45), (45, 605), (605, 754)]
    page = Page((example / OUT / "post.html").read_text())
    assert page.meta("og:locale") == ["en_US"]
    assert page.meta("article:published_time") == ["2024-04-01T09:00:00-07:00"]
    assert eml(example)["Date"].datetime.isoformat() == "2024-04-01T09:00:00-07:00"


def test_without_a_blog_address_the_post_is_not_claimed_for_a_page(example):
    no_blog(example)
    run("build", "2024-04")
    items = graph(example)
    assert "mainEntityOfPage" not in items["BlogPosting"]
    assert items["VideoObject"]["uploadDate"] == "2024-04-01"
    assert "duration" not in items["VideoObject"]


@pytest.mark.parametrize("tag, locale", [("en", "en_US"), ("en-GB", "en_GB"), ("fr", "fr_FR"), ("pt-BR", "pt_BR")])
def test_og_locale_is_language_and_country(example, tag, locale):
    edit(example / SETTINGS, 'name = "Patrick Lerouge"', f'name = "Patrick Lerouge"\nlanguage = "{tag}"')
    run("build", "2024-04")
    assert Page((example / OUT / "post.html").read_text()).meta("og:locale") == [locale]


@pytest.mark.parametrize(
    "line, says",
    [
        ('duration = "0:40"', "chapters: '0:45 Sitting' starts after the video ends (duration 0:40)"),
        ('duration = "10:10"', "chapters: '10:05 First step' lasts under 10 seconds before the end"),
        ('duration = "twelve minutes"', "duration: 'twelve minutes' is not a length like '12:34'"),
    ],
)
def test_the_duration_is_checked_against_the_chapters(example, line, says):
    with_chapters(example)
    edit(example / TOPIC, "cta =", f"{line}\ncta =")
    result = run("check", "2024-04")
    assert result.exit_code == 1
    assert f"Error: {TOPIC}: {says}" in result.stderr


def test_an_unknown_time_zone_is_an_error(example):
    edit(example / SETTINGS, 'name = "Patrick Lerouge"', 'name = "Patrick Lerouge"\ntimezone = "Mars/Olympus"')
    result = run("check", "2024-04")
    assert result.exit_code == 1
    assert "[author] timezone: 'Mars/Olympus' is not a time zone" in result.stderr


# --- 9: contrast -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("accent", ["#2a7ab0", "#66aaff", "#ff9900", "#0a0a0a"])
def test_links_on_the_tinted_panels_keep_4_5_to_1(example, accent):
    with_chapters(example)
    edit(example / SETTINGS, "[email]\n", f'[email]\naccent_color = "{accent}"\n')
    run("build", "2024-04")
    html = (example / OUT / "post.html").read_text()
    shade = re.search(r"--accent-on-panel: (#[0-9a-f]{6})", html).group(1)
    assert contrast(shade, TINT) >= 4.5
    mjml = (example / OUT / "newsletter.mjml").read_text()
    assert contrast(re.search(r"\.points a \{ color: (#[0-9a-f]{6})", mjml).group(1), TINT) >= 4.5


def test_an_accent_too_light_for_white_is_a_warning(example):
    edit(example / SETTINGS, "[email]\n", '[email]\naccent_color = "#66aaff"\n')
    result = run("build", "2024-04")
    assert result.exit_code == 0
    assert "Warning: monthlypost.toml: [email] accent_color: '#66aaff' has a contrast of 2.4:1 with white" in (
        result.stderr
    )


def test_the_default_accent_passes_on_white(example):
    assert run("build", "2024-04").stderr == ""


# --- 12: small things --------------------------------------------------------------------------------------------


def test_campaign_monitors_unsubscribe_tag_has_the_footer_style(example):
    edit(example / SETTINGS, 'provider = "mailchimp"', 'provider = "campaign-monitor"')
    edit(
        example / SETTINGS,
        'website = "https://www.livepainfreeprocess.com"\n',
        'website = "https://www.livepainfreeprocess.com"\npostal_address = "1 Main St"\n',
    )
    assert run("build", "2024-04").exit_code == 0
    html = (example / OUT / "newsletter.html").read_text()
    (tag,) = re.findall(r"<unsubscribe[^>]*>", html)
    assert "color: #59636e" in tag and "text-decoration: underline" in tag


def test_a_dropped_link_shows_its_words_not_its_markdown(example):
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy [the video](javascript:alert(1)).")
    result = run("build", "2024-04")
    assert "link 'javascript:alert(1)' is not a web address, so only its text is kept" in result.stderr
    for name in ("post.html", "post.md", "newsletter.html", "newsletter.txt"):
        text = (example / OUT / name).read_text()
        assert "Enjoy the video." in text.replace("=\n", ""), name
        assert "javascript" not in text and "](" not in text.split("Enjoy", 1)[1].split("\n", 1)[0], name


def test_post_md_says_where_the_post_lives_as_a_path_static_site_generators_take(example):
    run("build", "2024-04")
    front = (example / OUT / "post.md").read_text().split("---\n")[1]
    assert 'url: "/blog/why-your-hip-pain-keeps-coming-back/"\n' in front  # Hugo: a path, never https://…
    assert 'permalink: "/blog/why-your-hip-pain-keeps-coming-back/"\n' in front  # Jekyll, Eleventy


# --- Accessibility, as axe-core in Chromium judges it ----------------------------------------------------


@pytest.mark.parametrize("month", GOLDEN_MONTHS)
@pytest.mark.parametrize("name", ["post.html", "newsletter.html"])
def test_axe_finds_no_serious_violation(browser, month, name, tmp_path, monkeypatch):
    axe = tool(REPO / "node_modules/axe-core/axe.min.js")
    out = built_golden(month, tmp_path, monkeypatch)
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto((out / name).as_uri())
    page.add_script_tag(content=axe.read_text())
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, where: v.nodes.map(n => n.html.slice(0, 120))}))"
    )
    page.close()
    assert [v for v in found if v["impact"] in ("serious", "critical")] == []
    if name == "post.html":  # a page of ours: not even a moderate one
        assert found == []


@pytest.mark.parametrize("month", GOLDEN_MONTHS)
def test_the_email_with_its_own_picture_is_pixel_identical_to_the_js_compilers(browser, month, tmp_path, monkeypatch):
    """mjml-python and css-inline against the reference compiler, as Chromium draws both at 600 and 375 px
    (the picture served from the build, where it will be beside the published post)."""
    import io

    from PIL import Image, ImageChops

    out = built_golden(month, tmp_path, monkeypatch)
    js = subprocess.run(
        [str(mjml_cli()), str(out / "newsletter.mjml"), "-s", "--config.fonts={}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "email.jpg" in js

    def picture(route):
        if route.request.url.endswith("/email.jpg"):
            return route.fulfill(path=str(out / "email.jpg"))
        return route.continue_() if route.request.url.startswith(("data:", "about:")) else route.abort()

    for width in (600, 375):
        shots = []
        for html in ((out / "newsletter.html").read_text(), js):
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.route("**/*", picture)
            page.set_content(html, wait_until="load")
            assert page.evaluate("[...document.images].some(i => i.naturalWidth === 1072)")
            shots.append(Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB"))
            page.close()
        ours, theirs = shots
        assert ours.size == theirs.size, width
        assert ImageChops.difference(ours, theirs).getbbox() is None, width


# --- No page wider than its screen (issue 23, 1) --------------------------------------------------------------

LONG_LINK = (
    "https://okaforphysio.example/a/very/long/path/that/keeps/going/and/going/without/any/break/at/all/"
    "index.html?query=parameters-that-are-long-too"
)


@pytest.mark.parametrize("month", GOLDEN_MONTHS)
def test_no_page_is_wider_than_the_screen_with_a_long_address_and_a_code_block(browser, month, tmp_path, monkeypatch):
    """post.html at 320, 375 and 1280 px, the email at 375, the archive's index: long addresses and words wrap,
    a code block scrolls inside itself; and axe still finds nothing to say about the post."""
    workspace, name = GOLDEN_MONTHS[month]
    root = tmp_path / "w"
    root.mkdir()
    shutil.copy(workspace / "monthlypost.toml", root / "monthlypost.toml")
    shutil.copytree(workspace / "campaigns", root / "campaigns")
    (script,) = root.glob(f"campaigns/{name}*/script.md")
    text = script.read_text()
    script.write_text(
        f"Read {LONG_LINK} first, and a-word-that-never-ends-{'x' * 120}.\n\n"
        "```\n" + "a line of code far longer than any phone is wide " * 4 + "\n```\n\n" + text
    )
    monkeypatch.chdir(root)
    assert run("build", "--all").exit_code == 0
    out = root / "dist" / name
    pages = [(out / "post.html", (320, 375, 1280)), (out / "newsletter.html", (375,))]
    if (root / "dist/index.html").exists():
        pages.append((root / "dist/index.html", (320, 375, 1280)))
    for page_path, widths in pages:
        for width in widths:
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(page_path.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (page_path.name, width)
            if page_path.name == "post.html" and width == 375:
                page.add_script_tag(content=tool(REPO / "node_modules/axe-core/axe.min.js").read_text())
                found = page.evaluate(
                    "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => v.id)"
                )
                assert found == []
            page.close()


@pytest.mark.parametrize("name", ["post.html", "newsletter.html"])
def test_a_phone_number_never_wraps_inside_itself(browser, example, name):
    edit(example / SETTINGS, 'phone_vanity = "TRU 688 REST"', 'phone_vanity = "TRU 688 REST TRU 688 REST"')
    assert run("build", "2024-04").exit_code == 0
    page = browser.new_page(viewport={"width": 320, "height": 800})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto((example / OUT / name).as_uri())
    numbers = "document.querySelectorAll('a[href^=\"tel:\"] span')"
    lines = page.evaluate(f"[...{numbers}].map(n => [n.textContent, n.getClientRects().length])")
    wide = page.evaluate("document.documentElement.scrollWidth")
    page.close()
    assert lines and all(text == "(878) 688-7378" and count == 1 for text, count in lines), lines
    assert wide <= 320  # the words beside it wrap instead
