"""The newsletter: MJML compiled to inline-styled HTML, its own plain text, a ready .eml, provider merge tags."""

from __future__ import annotations

import email
import email.policy
import re
from html.parser import HTMLParser

import css_inline
import pytest

from monthlypost.config import EMAIL_PROVIDERS
from monthlypost.render.email import with_utm

from .conftest import add_blog, edit, no_blog, run

OUT = "dist/2024-04"


def built(root, name: str) -> str:
    return (root / OUT / name).read_text("utf-8")


def build_ok(root) -> None:
    result = run("build", "--force")
    assert result.exit_code == 0, result.output


class Email(HTMLParser):
    """The elements of an HTML email, with their attributes and inline styles."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def all(self, tag):
        return [attrs for t, attrs in self.elements if t == tag]


def declarations(style: str) -> set[str]:
    return {d.strip().replace(": ", ":") for d in style.split(";") if d.strip()}


MERGE_TAG = re.compile(r"^(\*\|[A-Z_:]+\|\*|\{\{\{?\s*\w+\s*\}?\}\}|\{\$\w+\}|\[\[\w+\]\])$")


def test_the_html_is_safe_and_complete(example):
    build_ok(example)
    page = Email(built(example, "newsletter.html"))
    assert page.all("html")[0]["lang"] == "en"
    assert page.all("script") == []
    for link in page.all("a"):
        assert link["href"].startswith(("https://", "mailto:", "tel:")) or MERGE_TAG.match(link["href"]), link
    for image in page.all("img"):
        assert image.get("alt"), image
    thumbnail = next(i for i in page.all("img") if i["src"].endswith("/email.jpg"))
    assert thumbnail["src"] == "https://www.livepainfreeprocess.com/blog/why-your-hip-pain-keeps-coming-back/email.jpg"
    assert thumbnail["alt"] == "Why Your Hip Pain Keeps Coming Back"
    html = built(example, "newsletter.html")
    assert '<a href="https://www.youtube.com/watch?v=hipPain2404" target="_blank"><img alt="Why Your Hip' in html
    assert "▶&nbsp; Watch the video" in html or "▶\xa0 Watch the video" in html
    assert '<meta name="color-scheme" content="light only"' in html
    assert "The back-burner reasons your hip pain keeps coming back" in html  # the preheader
    assert "<h1" in html and "Why Your Hip Pain Keeps Coming Back</h1>" in html
    assert "Recurring hip pain comes from overuse" in html
    assert "So, Why Does Your Hip Pain Keep Coming Back?" in html
    assert "tel:+18786887378" in html and "TRU 688 REST" in html
    assert "max-width:600px" in html


def test_nothing_depends_on_a_style_block_alone(example):
    """Inlining the style blocks once more adds nothing: every rule that can be inline, is."""
    build_ok(example)
    html = built(example, "newsletter.html")
    again = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False).inline(html)
    before, after = Email(html).elements, Email(again).elements
    assert len(before) == len(after)
    for (tag, attrs), (_, attrs_again) in zip(before, after, strict=True):
        assert declarations(attrs.get("style", "")) == declarations(attrs_again.get("style", "")), tag
    styled = {tag for tag, attrs in before if attrs.get("style")}
    assert {"h1", "h2", "p", "li", "a", "ul", "td", "div", "img"} <= styled


def test_the_accent_colour_comes_from_the_settings(example):
    edit(example / "monthlypost.toml", 'provider = "mailchimp"', 'provider = "mailchimp"\naccent_color = "#aa3300"')
    build_ok(example)
    html = built(example, "newsletter.html")
    assert "background:#aa3300" in html.replace(" ", "") and "#2a7ab0" not in html


def test_the_plain_text_is_its_own_rendering(example):
    build_ok(example)
    text = built(example, "newsletter.txt")
    assert "<" not in text and "&amp;" not in text  # no HTML in it
    assert "Watch the video: https://www.youtube.com/watch?v=hipPain2404" in text
    assert "- Recurring hip pain comes from overuse and misuse of the hip rotators:\n  piriformis" in text
    assert "So, Why Does Your Hip Pain Keep Coming Back?\n---" in text
    assert all(len(line) <= 72 or "://" in line for line in text.splitlines())
    assert "Phone: (878) 688-7378 (TRU 688 REST)" in text
    assert text.endswith("Unsubscribe: *|UNSUB|*\n")


def test_the_eml_is_a_proper_message(example):
    build_ok(example)
    raw = (example / OUT / "newsletter.eml").read_bytes()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "Why Your Hip Pain Keeps Coming Back"
    assert msg["From"] == "Patrick Lerouge <Patrick@patricklerouge.com>"
    assert msg["Reply-To"] is None  # the same as From, so left out (tests/test_fidelity.py)
    assert msg["Date"].datetime.date().isoformat() == "2024-04-01"
    assert re.fullmatch(r"<monthlypost\.2024-04\.[0-9a-f]{20}@patricklerouge\.com>", msg["Message-ID"])
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n") == built(example, "newsletter.txt")
    assert html.get_content().replace("\r\n", "\n") == built(example, "newsletter.html")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))  # RFC 5322 line limit


def test_a_subject_that_is_not_ascii_is_encoded(example):
    edit(example / "campaigns/2024-04/topic.toml", "cta =", 'subject = "Hüftschmerz – warum er wiederkommt"\ncta =')
    build_ok(example)
    raw = (example / OUT / "newsletter.eml").read_bytes()
    assert b"Subject: =?utf-8?" in raw
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "Hüftschmerz – warum er wiederkommt"


# --- providers -----------------------------------------------------------------------


def use_provider(root, provider: str) -> None:
    edit(root / "monthlypost.toml", 'provider = "mailchimp"', f'provider = "{provider}"')
    edit(
        root / "monthlypost.toml",
        'website = "https://www.livepainfreeprocess.com"\n',
        'website = "https://www.livepainfreeprocess.com"\npostal_address = "12 Elm Street\\nSpringfield, OR 97477"\n',
    )
    if provider == "generic":
        edit(
            root / "monthlypost.toml",
            f'provider = "{provider}"',
            f'provider = "{provider}"\nunsubscribe_url = "https://www.livepainfreeprocess.com/unsubscribe"',
        )


EXPECTED = {
    "mailchimp": ('<a href="*|UNSUB|*"', "*|HTML:LIST_ADDRESS_HTML|*", "Unsubscribe: *|UNSUB|*", "*|LIST:ADDRESS|*"),
    "kit": (None, None, None, None),  # Kit's template carries the unsubscribe link, the newsletter none of its own
    "buttondown": ('<a href="{{ unsubscribe_url }}"', None, "Unsubscribe: {{ unsubscribe_url }}", None),
    "mailerlite": (
        '<a href="{$unsubscribe}"',
        "{$account}<br>{$account_address}<br>{$account_country}",
        "Unsubscribe: {$unsubscribe}",
        "{$account}\n{$account_address}\n{$account_country}",
    ),
    "brevo": ('<a href="{{ unsubscribe }}"', None, "Unsubscribe: {{ unsubscribe }}", None),
    "sendgrid": ('<a href="{{{unsubscribe}}}"', None, "Unsubscribe: {{{unsubscribe}}}", None),
    "mailjet": ('<a href="[[UNSUB_LINK_EN]]"', None, "Unsubscribe: [[UNSUB_LINK_EN]]", None),
    "campaign-monitor": ('">Unsubscribe</unsubscribe>', None, "Unsubscribe: [unsubscribe]", None),
    "generic": (
        '<a href="https://www.livepainfreeprocess.com/unsubscribe"',
        None,
        "Unsubscribe: https://www.livepainfreeprocess.com/unsubscribe",
        None,
    ),
}


def test_every_provider_is_covered():
    assert set(EXPECTED) == set(EMAIL_PROVIDERS)


@pytest.mark.parametrize("provider", EXPECTED)
def test_each_providers_merge_tags_in_the_html_and_the_text(example, provider):
    use_provider(example, provider)
    build_ok(example)
    html, text = built(example, "newsletter.html"), built(example, "newsletter.txt")
    unsubscribe_html, address_html, unsubscribe_text, address_text = EXPECTED[provider]
    if unsubscribe_html is None:
        assert ">Unsubscribe<" not in html and "Unsubscribe:" not in text
    else:
        assert unsubscribe_html in html
        assert unsubscribe_text in text
        assert unsubscribe_html in built(example, "newsletter.mjml")  # the MJML carries them too
    assert (address_html or "12 Elm Street<br>Springfield, OR 97477") in html
    assert (address_text or "12 Elm Street\nSpringfield, OR 97477") in text


@pytest.mark.parametrize("template, carries", [("naked", True), ("classic", False), ("modern", False)])
def test_buttondown_carries_the_unsubscribe_link_only_where_its_template_does_not(example, template, carries):
    use_provider(example, "buttondown")
    edit(example / "monthlypost.toml", 'provider = "buttondown"', f'provider = "buttondown"\ntemplate = "{template}"')
    build_ok(example)
    html, text = built(example, "newsletter.html"), built(example, "newsletter.txt")
    assert ('<a href="{{ unsubscribe_url }}"' in html) is carries
    assert ("Unsubscribe: {{ unsubscribe_url }}" in text) is carries


@pytest.mark.parametrize("provider", ["mailchimp", "brevo", "generic"])
def test_a_template_for_a_provider_that_has_none(example, provider):
    use_provider(example, provider)
    edit(example / "monthlypost.toml", f'provider = "{provider}"', f'provider = "{provider}"\ntemplate = "x"')
    result = run("build")
    assert result.exit_code == 1
    assert (
        "Error: monthlypost.toml: [email] template: only Kit and Buttondown put the newsletter in a template of "
        f'theirs; with provider = "{provider}" remove it'
    ) in result.stderr


@pytest.mark.parametrize("provider", [p for p in EXPECTED if p not in ("mailchimp", "mailerlite")])
def test_a_missing_postal_address_names_the_key(example, provider):
    edit(
        example / "monthlypost.toml",
        'provider = "mailchimp"',
        f'provider = "{provider}"\nunsubscribe_url = "https://a.example/u"',
    )
    result = run("build")
    assert result.exit_code == 1
    assert (
        f'Error: monthlypost.toml: [author] postal_address: required with provider = "{provider}"; '
        "a commercial email must carry the sender's postal address"
    ) in result.stderr


def test_generic_needs_an_unsubscribe_url(example):
    edit(example / "monthlypost.toml", 'provider = "mailchimp"', 'provider = "generic"')
    edit(example / "monthlypost.toml", "[author]", '[author]\npostal_address = "1 Main St"')
    result = run("build")
    assert result.exit_code == 1
    assert 'Error: monthlypost.toml: [email] unsubscribe_url: required with provider = "generic"' in result.stderr


def test_no_sender_address_is_an_error(example):
    edit(example / "monthlypost.toml", 'email = "Patrick@patricklerouge.com"\n', "")
    edit(example / "monthlypost.toml", 'from_address = "Patrick@patricklerouge.com"\n', "")
    result = run("build")
    assert result.exit_code == 1
    assert "Error: monthlypost.toml: [email] from_address: required to send the newsletter" in result.stderr


# --- links, excerpt, size ------------------------------------------------------------


@pytest.mark.parametrize(
    "url, tagged",
    [
        ("https://a.example/", "https://a.example/?utm_source=newsletter&utm_medium=email&utm_campaign=2024-04"),
        (
            "https://a.example/p?x=1&y=2",
            "https://a.example/p?x=1&y=2&utm_source=newsletter&utm_medium=email&utm_campaign=2024-04",
        ),
        (
            "https://a.example/p?utm_source=blog#top",
            "https://a.example/p?utm_source=blog&utm_medium=email&utm_campaign=2024-04#top",
        ),
    ],
)
def test_utm_keeps_the_existing_query(url, tagged):
    assert with_utm(url, "2024-04") == tagged


def test_utm_tags_only_links_to_the_authors_own_site(example):
    edit(example / "monthlypost.toml", 'provider = "mailchimp"', 'provider = "mailchimp"\nutm = true')
    edit(example / "monthlypost.toml", "[links]", '[links]\nyoutube = "https://www.youtube.com/@livepainfree"')
    edit(
        example / "campaigns/2024-04/script.md",
        "Enjoy the video.",
        "Enjoy the [stretches](https://livepainfreeprocess.com/stretches?level=2) and [a study](https://pubmed.example/1).",
    )
    build_ok(example)
    html, text = built(example, "newsletter.html"), built(example, "newsletter.txt")
    utm = "utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=2024-04"
    assert f'href="https://livepainfreeprocess.com/stretches?level=2&amp;{utm}"' in html
    assert f'href="https://www.livepainfreeprocess.com?{utm}"' in html
    assert 'href="https://pubmed.example/1"' in html
    assert 'href="https://www.youtube.com/@livepainfree"' in html
    assert 'href="https://www.youtube.com/watch?v=hipPain2404"' in html
    assert (
        "(https://livepainfreeprocess.com/stretches?level=2&utm_source=newsletter&utm_medium=email&utm_campaign=2024-04)"
        in text
    )
    assert "utm_" not in built(example, "post.html") and "utm_" not in built(example, "youtube.txt")


def test_an_excerpt_links_to_the_full_post(example):
    edit(example / "campaigns/2024-04/topic.toml", "cta =", "excerpt = 2\ncta =")
    build_ok(example)
    html, text = built(example, "newsletter.html"), built(example, "newsletter.txt")
    url = "https://www.livepainfreeprocess.com/blog/why-your-hip-pain-keeps-coming-back/"
    assert "The focal point for this reoccurring" in html and "Our piriformis muscle refers" not in html
    assert f'href="{url}"' in html and "Read the full post" in html
    assert f"Read the full post: {url}" in text and "Our piriformis" not in text
    assert "Our piriformis muscle refers" in built(example, "post.html")  # the post stays whole


def test_an_excerpt_without_a_blog_url_is_an_error(example):
    no_blog(example)
    edit(example / "campaigns/2024-04/topic.toml", "cta =", "excerpt = 2\ncta =")
    result = run("build")
    assert result.exit_code == 1
    assert (
        "Error: campaigns/2024-04/topic.toml: excerpt: the email would link to the full post, "
        "but monthlypost.toml has no [blog] url" in result.stderr
    )


def test_local_images_point_beside_the_published_post(example):
    no_blog(example)
    (example / "campaigns/2024-04/roller.jpg").write_bytes(b"jpeg")
    edit(example / "campaigns/2024-04/script.md", "Let me show you", "![A foam roller](roller.jpg)\n\nLet me show you")
    result = run("build")
    assert "image 'roller.jpg' cannot show in the email; set [blog] url" in result.stderr
    add_blog(example, 'url = "https://www.livepainfreeprocess.com/blog/{slug}/"\n')
    result = run("build")
    assert result.stderr == ""
    assert 'src="https://www.livepainfreeprocess.com/blog/why-your-hip-pain-keeps-coming-back/roller.jpg"' in built(
        example, "newsletter.html"
    )
    assert 'src="roller.jpg"' in built(example, "post.html")


def test_a_short_call_to_action_is_the_button_itself(example):
    edit(example / "campaigns/2024-04/topic.toml", 'cta = "If you', 'cta = "Tell me how it went!"\nx = "If you')
    edit(example / "campaigns/2024-04/topic.toml", 'x = "If you', '# x = "If you')
    build_ok(example)
    html = built(example, "newsletter.html")
    assert re.search(r'<a href="https://www.youtube.com/watch\?v=hipPain2404"[^>]*>Tell me how it went!</a>', html)


def test_a_long_call_to_action_leads_into_a_button(example):
    build_ok(example)
    html = built(example, "newsletter.html")
    assert (
        "leave a comment down below and I&#39;ll get right back to you!" in html
        or "I'll get right back to you!" in html
    )
    assert "Watch and comment on YouTube</a>" in html


def test_html_of_102000_bytes_or_more_is_an_error(example):
    paragraph = "Foam rolling helps. " * 40
    (example / "campaigns/2024-04/script.md").write_text("\n\n".join([paragraph] * 120))
    result = run("build")
    assert result.exit_code == 1
    match = re.search(
        r"Error: campaigns/2024-04/script.md: the newsletter's HTML is ([\d,]+) bytes; "
        r"Gmail clips messages at about 102 KB \(102,000 bytes\)",
        result.stderr,
    )
    assert match and int(match.group(1).replace(",", "")) >= 102_000
    assert not (example / OUT).exists()


def test_subject_and_preheader_lengths_are_warnings(example):
    edit(
        example / "campaigns/2024-04/topic.toml",
        "cta =",
        f'subject = "{"Hip pain " * 8}"\npreheader = "Too short"\ncta =',
    )
    result = run("build")
    assert result.exit_code == 0
    assert (
        "Warning: campaigns/2024-04/topic.toml: subject: 72 characters; inboxes cut subjects after about 60"
        in result.stderr
    )
    assert (
        "Warning: campaigns/2024-04/topic.toml: preheader: 9 characters; a preheader reads best at 40–140"
        in result.stderr
    )


def test_the_title_and_summary_are_named_when_they_stand_in(example):
    edit(
        example / "campaigns/2024-04/topic.toml",
        "Why Your Hip Pain Keeps Coming Back",
        "Why Your Hip Pain Keeps Coming Back, and What You Can Do About It Today",
    )
    edit(example / "campaigns/2024-04/topic.toml", "The back-burner reasons", "Back-burner reasons, " * 8 + "and more")
    result = run("check")
    assert "topic.toml: title (the subject, as subject is not set): 71 characters" in result.stderr
    assert "topic.toml: summary (the preheader, as preheader is not set):" in result.stderr


def test_no_cell_carries_an_attribute_html_does_not_have(example):
    """mjml-python gives a button's cell a vertical-align attribute (MJML's own compiler does not): taken out,
    its valign and style say it already."""
    assert run("build", "2024-04").exit_code == 0
    html = (example / "dist/2024-04/newsletter.html").read_text()
    assert html.count("<td") > 10 and not re.search(r'\svertical-align="', html)
    assert html.count('valign="middle"') == html.count('role="presentation" valign') == 2  # the two buttons' own cells
