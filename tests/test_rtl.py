"""A month written right to left (tests/workspaces/arabic): the post, the email at both widths and the plain
text read right to left in Chromium, with the contact details and numbers still the right way round."""

from __future__ import annotations

import shutil
import unicodedata

import pytest

from monthlypost.words import writing_direction

from .conftest import REPO, run

ARABIC = REPO / "tests/workspaces/arabic"
OUT = "dist/2024-06"
# How far each character of a phone number and an address is from the left, in the order they are written:
# growing means they read left to right (as they must), whatever the text around them.
VISUAL_ORDER = """(link) => {
  const text = link.firstChild.nodeType === 3 ? link.firstChild : link.querySelector('span').firstChild;
  const xs = [];
  for (let i = 0; i < text.length; i++) {
    if (text.data[i] === ' ') continue;
    const range = document.createRange();
    range.setStart(text, i);
    range.setEnd(text, i + 1);
    xs.push(range.getBoundingClientRect().left);
  }
  return xs;
}"""


@pytest.fixture
def arabic(tmp_path, monkeypatch):
    root = tmp_path / "arabic"
    shutil.copytree(ARABIC, root)
    monkeypatch.chdir(root)
    result = run("build", "2024-06")
    assert result.exit_code == 0, result.output
    return root / OUT


def opened(browser, path, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(path.as_uri())
    return page


def style(page, selector: str, *properties: str) -> list[str]:
    return page.eval_on_selector(selector, f"e => {list(properties)}.map(p => getComputedStyle(e)[p])")


def reads_left_to_right(page, selector: str) -> None:
    for link in page.query_selector_all(selector):
        xs = link.evaluate(VISUAL_ORDER)
        assert len(xs) > 5 and xs == sorted(xs), link.inner_text()


@pytest.mark.parametrize("width", [375, 1280])
def test_the_post_reads_right_to_left_with_its_numbers_and_addresses_the_right_way_round(browser, arabic, width):
    page = opened(browser, arabic / "post.html", width)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    for selector in ("h1", ".key-points li", ".script p", ".contact li"):
        assert style(page, selector, "direction", "textAlign") == ["rtl", "start"], selector
    article = page.eval_on_selector("article", "e => e.getBoundingClientRect().right")
    heading = page.eval_on_selector(
        "h1",
        "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getBoundingClientRect().right; }",
    )
    padding = float(style(page, "article", "paddingRight")[0][:-2])
    assert abs(article - padding - heading) < 2  # the title starts at the right
    assert style(page, ".key-points", "borderRightWidth", "borderLeftWidth") == ["4px", "0px"]
    reads_left_to_right(page, '.contact a[href^="tel:"]')
    reads_left_to_right(page, '.contact a[href^="mailto:"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()


@pytest.mark.parametrize("width", [375, 600])
def test_the_email_reads_right_to_left_at_both_widths(browser, arabic, width):
    page = opened(browser, arabic / "newsletter.html", width)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    for selector in ("h1", ".points li", ".script p", ".script li"):
        direction, align = style(page, selector, "direction", "textAlign")
        assert direction == "rtl" and align in ("right", "start"), (selector, direction, align)
    box = page.eval_on_selector(
        ".points",
        "e => { const c = e.closest('td').getBoundingClientRect(); "
        "const l = e.querySelector('li').getBoundingClientRect(); return [c.right, l.right]; }",
    )
    assert box[0] - box[1] < 60  # the key points start at the right of their panel, their bullets there
    reads_left_to_right(page, 'a[href^="tel:"]')
    reads_left_to_right(page, 'a[href^="mailto:"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()


def first_strong(line: str) -> str | None:
    for c in line:
        if unicodedata.bidirectional(c) in ("L", "R", "AL"):
            return "L" if unicodedata.bidirectional(c) == "L" else "R"
    return None


def test_the_plain_text_reads_right_to_left_line_by_line(arabic):
    """A plain-text reader takes each line's direction from its first letter (Unicode's bidi algorithm, P2):
    every line starts right to left, those a Latin word or a number begins with a RIGHT-TO-LEFT MARK."""
    lines = [line for line in (arabic / "newsletter.txt").read_text().splitlines() if line]
    for line in lines:
        assert line.startswith("\u200f") or first_strong(line) == "R", line
    assert any(line.startswith("\u200f- YouTube: ") for line in lines)  # a key point a Latin word starts
    assert "الهاتف: +971 4 555 0123" in lines  # the number as it is written
    assert "\u200fhttps://www.youtube.com/watch?v=hipPainAr24" in lines


def test_a_left_to_right_month_has_no_marks_and_reads_left_to_right(example):
    assert run("build", "2024-04").exit_code == 0
    assert "\u200f" not in (example / "dist/2024-04/newsletter.txt").read_text()
    assert '<html lang="en" dir="ltr">' in (example / "dist/2024-04/post.html").read_text()


@pytest.mark.parametrize(
    "tag, direction",
    [
        ("ar", "rtl"),
        ("he-IL", "rtl"),
        ("fa", "rtl"),
        ("ur-PK", "rtl"),
        ("en", "ltr"),
        ("pa-Arab", "rtl"),
        ("az-Latn", "ltr"),
        ("ku-Arab", "rtl"),
    ],
)
def test_the_direction_follows_the_language_and_its_script(tag, direction):
    assert writing_direction(tag) == direction
