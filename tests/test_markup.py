"""script.md: CommonMark, raw HTML as text, unsafe links dropped, one parse for three renderings."""

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from monthlypost.markup import Script, escape_alt, escape_markdown, markdown_url, parser

from .conftest import REPO

SAMPLE = """\
Intro with *em*, **strong**, `code`, a [link](https://example.com/a_b "Title \\"q\\"") and AT&amp;T &copy;.

- one *item* with [a link](https://example.com/a_b) and `` a`b ``
- two <b>html</b>
  1. nested
  2. list

> quoted **text** that is long enough to wrap around at seventy two characters wide, surely
> - inner

```python
code  block
```

    indented code

![alt *text*](https://x.example/p.png "T") <https://auto.example>
1986. not a list
# heading
+ plus

Line with hard break
next line\\
third

3) three
4) four

Setext
===

---
"""


@pytest.mark.parametrize(
    "source",
    [SAMPLE, (REPO / "campaigns/2024-04/script.md").read_text("utf-8"), "<div>raw</div>\n\n*a* <b>b</b> [x](<y z>)"],
    ids=["sample", "example-month", "raw-html"],
)
def test_markdown_output_reads_back_as_the_same_document(source):
    script = Script(source)
    assert parser().render(script.markdown()) == script.html()


def test_raw_html_is_shown_as_text():
    html = Script('Hello <script>alert(1)</script> and <b onclick="x">bold</b>\n\n<div>block</div>\n').html()
    assert "<script" not in html and "<b " not in html and "<div" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;div&gt;block&lt;/div&gt;" in html


def test_raw_html_stays_text_in_the_markdown_too():
    markdown = Script("Hello <script>alert(1)</script>\n").markdown()
    assert "<script>" not in markdown
    assert "<script" not in parser().render(markdown)


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](vbscript:msgbox)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
        "[x](file:///etc/passwd)",
        "<javascript:alert(1)>",
    ],
)
def test_javascript_and_data_links_are_dropped(link):
    html = Script(link).html()
    assert "href=" not in html and "src=" not in html
    assert list(Script(link).references()) == []


def test_references_list_links_and_images_with_their_lines():
    refs = list(Script("Para\n\n[a](https://a.example) and ![pic](p.jpg)\n").references())
    assert [(r.kind, r.url, r.text, r.line) for r in refs] == [
        ("link", "https://a.example", "a", 3),
        ("image", "p.jpg", "pic", 3),
    ]


def test_plain_text_wraps_and_spells_out_links():
    text = Script(SAMPLE).text(width=40)
    assert all(len(line) <= 40 for line in text.splitlines() if "://" not in line)
    assert "a link (https://example.com/a_b)" in " ".join(text.split())
    assert "<b>html</b>" in text  # as written, since plain text cannot run it
    assert "> quoted text that is long enough to\n> wrap around" in text
    assert "\n>\n> - inner" in text


def test_excerpt_takes_the_first_paragraphs():
    script = Script("One.\n\n## Head\n\nTwo.\n\nThree.\n")
    assert Script("").html(script.excerpt(2)) == "<p>One.</p>\n<h2>Head</h2>\n<p>Two.</p>\n"


def test_escape_markdown_keeps_text_literal():
    text = "*not em* _nor_ [a](https://b.example) <i> `c` \\ &amp;"
    rendered = parser().renderInline(escape_markdown(text))
    assert rendered == "*not em* _nor_ [a](https://b.example) &lt;i&gt; `c` \\ &amp;amp;"


@pytest.mark.parametrize(
    "text",
    [
        "     five spaces make a code block",
        "\tso does a tab",
        "two lines\n    the second indented",
        "a line break  \nafter two spaces",
        "~~struck~~ and ~also~ through in GFM",
        "a | b\n:-- | :--",
        "Term\n: a definition list item in kramdown",
        "{{ site.title }} and {% include secret %} and {{< hugo >}} and {{% hugo %}} and {# note #} and {: .class}",
        "$$ x^2 $$ is kramdown's math",
    ],
)
def test_escaped_text_stays_one_line_of_text_in_a_list_item_wherever_markdown_goes_further(text):
    """GFM's tables and strikethrough on, and no braces, dollars or leading colons a site's generator reads."""
    gfm = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    escaped = escape_markdown(text)
    literal = "\n".join(line.strip(" \t") for line in text.split("\n"))
    assert gfm.render(f"- {escaped}") == f"<ul>\n<li>{html.escape(literal, quote=False)}</li>\n</ul>\n"
    assert not re.search(r"\{[{%#]|\$\$|^:", escaped, re.MULTILINE), escaped  # as a generator reads it


def test_link_titles_and_addresses_in_post_md_carry_no_template_syntax_either():
    script = Script(
        '[a](https://x.example/{{a}}?q={%b%} "t {{c}} {%d%} {#e#}")\n![i](https://x.example/{{f}}.png "{{g}}")'
    )
    markdown = script.markdown()
    assert not re.search(r"\{[{%#]", markdown), markdown
    assert parser().render(markdown) == script.html()
    assert not re.search(r"\{[{%#]", markdown_url("https://x.example/{{h}}/{%i%}"))


def test_a_scripts_top_level_headings_move_one_level_down_with_the_rest():
    script = Script("# Top\n\n## Sub\n\n###### Six\n\nSetext\n===\n")
    assert script.html() == "<h2>Top</h2>\n<h3>Sub</h3>\n<h6>Six</h6>\n<h2>Setext</h2>\n"
    assert script.markdown().split("\n\n") == ["## Top", "### Sub", "###### Six", "## Setext"]
    assert Script("## Sub\n").html() == "<h2>Sub</h2>\n"  # as written when there is no '#' heading


@given(st.lists(st.sampled_from([*"ab [](){}%#!*_~`$|:<>&;\\/=-", "amp;", "#38;", "x.html"]), max_size=30).map("".join))
def test_an_alt_text_reads_back_as_written_and_carries_no_template_syntax(text):
    """escape_alt: GFM's strikethrough and tables on; the invisible spaces it adds aside, the alt is the text."""
    gfm = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    escaped = escape_alt(text)
    found = re.search(r'alt="([^"]*)"', gfm.render(f"[![{escaped}](x.png)](y)"))
    assert found is not None, escaped
    assert html.unescape(found[1]).replace("\u200b", "") == " ".join(text.split())
    assert not re.search(r"\{[{%#]|#\}|\]:|\$\$", escaped), escaped  # as a generator reads it
