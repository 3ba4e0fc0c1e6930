"""The outputs' fixed words and dates in the author's language, and the author's own wording in [labels]."""

from __future__ import annotations

import datetime

import pytest

from monthlypost.words import KEYS, NAMED, SHIPPED, long_date

from .conftest import edit, run

OUT = "dist/2024-04"
SETTINGS = "monthlypost.toml"


def language(root, tag: str) -> None:
    edit(root / SETTINGS, 'name = "Patrick Lerouge"\n', f'name = "Patrick Lerouge"\nlanguage = "{tag}"\n')


def outputs(root) -> dict[str, str]:
    files = ("post.html", "post.md", "youtube.txt", "newsletter.html", "newsletter.txt")
    return {name: (root / OUT / name).read_text() for name in files}


def test_a_spanish_author_gets_every_fixed_word_and_the_date_in_spanish(example):
    language(example, "es")
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    made = outputs(example)
    assert '<time datetime="2024-04-01">1 de abril de 2024</time>' in made["post.html"]
    assert "<h2>En este vídeo</h2>" in made["post.html"] and ">Ver en YouTube</a>" in made["post.html"]
    assert "Teléfono: <a href=" in made["post.html"]
    assert "## En este vídeo\n" in made["post.md"]
    assert "En este vídeo:\n" in made["youtube.txt"] and "Contacta con Patrick Lerouge:\n" in made["youtube.txt"]
    assert "Ver el vídeo</a>" in made["newsletter.html"]
    assert "Recibes este correo porque te suscribiste al boletín de Patrick Lerouge." in made["newsletter.html"]
    assert made["newsletter.txt"].startswith("Why Your Hip Pain")
    assert "\nEN ESTE VÍDEO\n" in made["newsletter.txt"] and "Ver el vídeo: https://" in made["newsletter.txt"]
    for text in made.values():
        for english in ("In this video", "Watch the video", "Watch on YouTube", "You are receiving", "April 1"):
            assert english not in text


@pytest.mark.parametrize(
    "tag, date, heading",
    [
        ("fr", "1 avril 2024", "Dans cette vidéo"),
        ("de", "1. April 2024", "In diesem Video"),
        ("pt-BR", "1 de abril de 2024", "Neste vídeo"),
        ("ar", "1 أبريل 2024", "في هذا الفيديو"),
        ("en-GB", "1 April 2024", "In this video"),
    ],
)
def test_each_shipped_language_writes_its_own_words_and_dates(example, tag, date, heading):
    language(example, tag)
    assert run("build", "2024-04").exit_code == 0
    html = outputs(example)["post.html"]
    assert f'<time datetime="2024-04-01">{date}</time>' in html and f"<h2>{heading}</h2>" in html


def test_an_authors_own_wording_overrides_any_label_in_every_output(example):
    language(example, "fr")
    (example / SETTINGS).write_text(
        (example / SETTINGS).read_text()
        + '\n[labels]\nin_this_video = "Ce que vous allez apprendre"\nsigned_up = "Merci de suivre {name} !"\n'
    )
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    made = outputs(example)
    assert "<h2>Ce que vous allez apprendre</h2>" in made["post.html"]
    assert "## Ce que vous allez apprendre\n" in made["post.md"]
    assert "Ce que vous allez apprendre:\n" in made["youtube.txt"]
    assert "Merci de suivre Patrick Lerouge !" in made["newsletter.html"]
    assert "Merci de suivre Patrick Lerouge !" in made["newsletter.txt"]
    assert "Regarder la vidéo" in made["newsletter.html"]  # the rest stays French


@pytest.mark.parametrize(
    "labels, message",
    [
        ('in_this_videos = "x"', "unknown key 'in_this_videos' in [labels]; did you mean 'in_this_video'?"),
        ('chapters = "{name}"', "[labels] chapters: unknown placeholder {name}; this label has none"),
        ('signed_up = "Hi {nom}"', "[labels] signed_up: unknown placeholder {nom}; use {name}"),
        ('signed_up = "Hi {name"', "[labels] signed_up: a '{' or '}' that opens or closes no placeholder"),
        ("chapters = 3", "[labels] chapters: expected a string, got an integer"),
    ],
)
def test_a_label_that_cannot_be_used_is_a_one_line_error(example, labels, message):
    (example / SETTINGS).write_text((example / SETTINGS).read_text() + f"\n[labels]\n{labels}\n")
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert f"Error: monthlypost.toml: {message}" in result.stderr
    assert "Traceback" not in result.output


def test_a_language_monthlypost_has_no_words_for_warns_and_names_the_labels_left_english(example):
    language(example, "it")
    labels = "\n".join(f'{key} = "{key.upper()}"' for key in KEYS[:-1])
    result = run("build", "2024-04")
    assert result.exit_code == 0
    assert "Warning: monthlypost.toml: [author] language: monthlypost has no words of its own in 'it'" in result.stderr
    assert f"{len(KEYS)} of the outputs' fixed words stay English" in result.stderr
    assert '<time datetime="2024-04-01">1 aprile 2024</time>' in outputs(example)["post.html"]  # Babel's date
    (example / SETTINGS).write_text((example / SETTINGS).read_text() + f"\n[labels]\n{labels}\n")
    result = run("build", "2024-04")
    assert f"1 of the outputs' fixed words stay English until [labels] sets them: {KEYS[-1]}" in result.stderr
    assert "<h2>IN_THIS_VIDEO</h2>" in outputs(example)["post.html"]


def test_the_archive_reads_in_the_authors_language_too(example):
    language(example, "de")
    assert run("build", "2024-04").exit_code == 0
    index = (example / "dist/index.html").read_text()
    assert "1. April 2024" in index and ">Feed</a>" in index
    assert "Jeden Monat ein Video von Patrick Lerouge, mit Beitrag." in index


def test_every_shipped_language_has_every_word_and_the_authors_name_where_english_has_it():
    for tag, words in SHIPPED.items():
        assert len(words) == len(KEYS), tag
        for key, word in zip(KEYS, words, strict=True):
            assert word.strip() and ("{name}" in word) == (key in NAMED), (tag, key)


def test_english_dates_without_babel_are_babels():
    from babel.dates import format_date

    for month in range(1, 13):
        day = datetime.date(2024, month, 28 if month == 2 else 30)
        assert long_date(day, "en") == long_date(day, "en-US") == format_date(day, "long", locale="en_US")


def test_an_authors_word_youtube_refuses_is_blamed_on_its_label(example):
    (example / SETTINGS).write_text(
        (example / SETTINGS).read_text() + '\n[labels]\nin_this_video = "In <this> video"\nsigned_up = "Hi <you>"\n'
    )
    result = run("build", "2024-04")
    assert result.exit_code == 0
    assert (
        "Warning: monthlypost.toml: [labels] in_this_video: < and > became ‹ and › in the YouTube description"
        in result.stderr
    )
    assert "signed_up" not in result.stderr  # the email's words, not the description's
    assert "In ‹this› video:" in outputs(example)["youtube.txt"]
    assert "<h2>In &lt;this&gt; video</h2>" in outputs(example)["post.html"]
