"""The second hostile round (issue 20): folders that start like a month's, a full disk, merge tags, and the
bounds on what a workspace can make monthlypost do: no command busy for long, nothing written by check.

The corpus in test_safety.py holds the inputs that are refused (nested too deeply, too costly to read, a
template making too much); this file what is not a plain refusal."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from .conftest import edit, run, snapshot, write

TOPIC = "campaigns/2024-04/topic.toml"
SCRIPT = "campaigns/2024-04/script.md"


def month_like(root: Path, name: str) -> Path:
    """A copy of the example month under ``name``, in campaigns/."""
    folder = root / "campaigns" / name
    shutil.copytree(root / "campaigns/2024-04", folder)
    edit(folder / "topic.toml", 'title = "', f'title = "{name}: ')  # a title, and so a slug, of its own
    return folder


# --- Folders that start like a month's -------------------------------------------------------------------


MISNAMED = {
    "2024-13": "is not a month: 13 is no month of the year",
    "2024-00-bonus": "is not a month: 00 is no month of the year",
    "2024-06 copy": "starts like a month but is not one",
    "2024-06-": "has nothing after its last '-'",
    "0000-06": "is not a month: there is no year 0000",
}


@pytest.mark.parametrize("name", MISNAMED)
@pytest.mark.parametrize("args", [("build",), ("build", "--all"), ("check", "--all"), ("list",)])
def test_a_folder_misnamed_as_a_month_is_an_error_naming_it_and_the_months_go_on(example, name, args):
    month_like(example, name)
    result = run(*args)
    assert result.exit_code == 1
    assert f"Error: campaigns/{name}: {MISNAMED[name]}" in result.stderr, result.stderr
    assert "a month's folder is named YYYY-MM or YYYY-MM-any-slug" in result.stderr
    assert "Traceback" not in result.output
    if args[0] == "build":
        assert (example / "dist/2024-04/post.html").exists()  # the month it could read was built
        assert [p.name for p in (example / "dist").iterdir() if p.is_dir()] == ["2024-04"]
    if args[0] == "list":
        assert "2024-04" in result.stdout
    if args[0] == "check":
        assert "2024-04: ok" in result.stdout


def test_a_month_named_on_the_command_line_is_not_held_up_by_a_misnamed_folder(example):
    month_like(example, "2024-13")
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert "2024-13" not in result.output


def test_a_month_asked_for_by_a_misnamed_folders_name_says_why_it_is_not_one(example):
    month_like(example, "2024-06 copy")
    result = run("build", "2024-06")
    assert result.exit_code == 1
    assert "Error: campaigns/2024-06: no folder for 2024-06" in result.stderr
    assert "Error: campaigns/2024-06 copy: starts like a month but is not one" in result.stderr


@pytest.mark.parametrize("name", ["2024-06-café", "2024-06--", "2024-06-Hüften_und_Knie", "2024-06-2"])
def test_any_slug_makes_a_month(example, name):
    month_like(example, name)
    result = run("build", "2024-06")
    assert result.exit_code == 0, result.output
    assert (example / "dist/2024-06/post.html").exists()
    listed = run("list")
    assert listed.exit_code == 0 and "2024-06" in listed.stdout


def test_a_file_named_like_a_month_beside_the_months_is_not_one(example):
    month_like(example, "2024-06-knees")
    (example / "campaigns/2024-06-notes.txt").write_text("ideas for June")
    (example / "campaigns/2024-13 budget.ods").write_bytes(b"PK")
    result = run("build", "--all")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (example / "dist").iterdir() if p.is_dir()) == ["2024-04", "2024-06"]


# --- The workspace's disk full -------------------------------------------------------------------------


def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write of a file's bytes fails as on a full disk (making folders and names still works)."""

    def no_room(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def full(opener):
        def opened(self_or_fd, mode="r", *args, **kwargs):
            f = opener(self_or_fd, mode, *args, **kwargs)
            if any(c in mode for c in "wax+"):
                f.write = no_room
            return f

        return opened

    monkeypatch.setattr(os, "pwrite", no_room)
    monkeypatch.setattr(os, "write", no_room)
    monkeypatch.setattr(os, "fdopen", full(os.fdopen))
    monkeypatch.setattr(Path, "open", full(Path.open))


@pytest.mark.parametrize(
    "args, names, says",
    [
        (("build", "2024-04"), "dist/2024-04", "could not write the outputs: the disk is full"),
        (("new", "2024-09", "--title", "Knees"), "campaigns/2024-09/topic.toml", "the disk is full"),
    ],
)
def test_a_full_disk_is_the_disk_full_message_and_nothing_is_lost(example, monkeypatch, args, names, says):
    assert run("build", "2024-04").exit_code == 0
    edit(example / SCRIPT, "Enjoy the video.", "Enjoy the video, again.")
    before = snapshot(example)
    full_disk(monkeypatch)
    result = run(*args)
    monkeypatch.undo()
    assert result.exit_code == 1
    assert f"Error: {names}" in result.stderr and says in result.stderr, result.stderr
    assert "Traceback" not in result.output
    after = snapshot(example)
    assert {k: v for k, v in after.items() if k != ".monthlypost/lock"} == {
        k: v for k, v in before.items() if k != ".monthlypost/lock"
    }


# --- Merge tags --------------------------------------------------------------------------------------


MERGE_TAGS = [
    "*|FNAME|*",  # Mailchimp
    "*|IF:FNAME|*",
    "{{ subscriber.first_name }}",  # Kit (Liquid)
    '{{ subscriber.first_name | default: "friend" }}',
    "{{ subscriber.metadata.first_name }}",  # Buttondown (Django)
    "{{ contact.FIRSTNAME }}",  # Brevo
    "{$name}",  # MailerLite: no markup in it, so nothing to keep
    "{% if subscriber.first_name %}",
    "{{{unsubscribe}}}",  # Handlebars, unescaped
    "[[FIRST_NAME]]",  # Mailjet
]


def test_every_providers_merge_tags_reach_it_as_written(example):
    lines = "\n\n".join(f"Tag {n}: Hi {tag}, welcome." for n, tag in enumerate(MERGE_TAGS))
    edit(example / SCRIPT, "Enjoy the video.", f"Enjoy the video.\n\n{lines}")
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    out = example / "dist/2024-04"
    html = (out / "newsletter.html").read_text()
    text = (out / "newsletter.txt").read_text()
    for n, tag in enumerate(MERGE_TAGS):
        assert f"Tag {n}: Hi {tag}, welcome." in html, tag
        assert f"Tag {n}: Hi {tag}, welcome." in " ".join(text.split()), tag
    assert "<em>|FNAME|</em>" not in html


def test_a_merge_tag_is_text_everywhere_else(example):
    edit(example / SCRIPT, "Enjoy the video.", "Enjoy the video, *|FNAME|*.\n\nA *real* emphasis, & {{ a & b }}.")
    assert run("build", "2024-04").exit_code == 0
    out = example / "dist/2024-04"
    assert "Enjoy the video, *|FNAME|*." in (out / "post.html").read_text()  # as written, on the blog too
    shown = MarkdownIt("commonmark").render((out / "post.md").read_text())  # post.md, as a site shows it
    assert "Enjoy the video, *|FNAME|*." in shown
    html = (out / "newsletter.html").read_text()
    assert "A <em>real</em> emphasis, &amp; {{ a &amp; b }}." in html  # emphasis is still emphasis; & escaped


# --- Time ---------------------------------------------------------------------------------------------


def test_a_template_loop_that_would_run_for_hours_is_stopped_and_named(example, monkeypatch):
    monkeypatch.setattr("monthlypost.render.RENDER_SECONDS", 1)
    write(
        example / "templates/youtube.txt",
        "{{ summary }}\n{% for a in range(99999) %}\n{% for b in range(99999) %}{% endfor %}\n{% endfor %}\n",
    )
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "Error: templates/youtube.txt: line 3: still running after 1 seconds: a loop that never ends" in (
        result.stderr
    ), result.stderr
    assert not (example / "dist/2024-04").exists()


def test_a_macro_calling_itself_for_hours_is_stopped_too(example, monkeypatch):
    monkeypatch.setattr("monthlypost.render.RENDER_SECONDS", 1)
    write(
        example / "templates/post.md",
        "{% macro twice(n) %}{% if n %}{{ twice(n - 1) }}{{ twice(n - 1) }}{% endif %}{% endmacro %}\n"
        "{{ twice(60) }}\n",
    )
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "Error: templates/post.md: line 1: still running after 1 seconds" in result.stderr, result.stderr


def test_loops_still_know_their_length_and_their_else(example):
    write(
        example / "templates/youtube.txt",
        "{% for p in key_points %}{{ loop.index }}/{{ loop.length }}{% if loop.last %}.{% endif %}"
        "{% endfor %}\n{% for x in [] %}{{ x }}{% else %}none{% endfor %}\n"
        "{% for x in [[1, [2]], 3] recursive %}{% if x is iterable %}{{ loop(x) }}{% else %}{{ x }}{% endif %}"
        "{% endfor %}\n",
    )
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    written = (example / "dist/2024-04/youtube.txt").read_text()
    assert written.startswith("1/62/63/64/65/66/6.none123\n")  # trim_blocks: no newline after a block tag


def test_what_templates_can_still_make(example):
    write(
        example / "templates/youtube.txt",
        "{{ summary }}\n{{ 2 ** 64 }} {{ 12345678|filesizeformat }} {{ '%05d'|format(42) }}"
        " {{ '{:,}'.format(1234567) }}"
        " {{ 'ab' * 3 }} {{ [1, 2] + [3] }} {{ 'x'|center(9) }}| {{ 'a b'|replace('a', 'c') }}"
        " {{ ['a', 'b']|join('-') }} {{ lipsum(1, html=False, min=5, max=6)|wordcount }}\n",
    )
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert (
        "18446744073709551616 12.3 MB 00042 1,234,567 ababab [1, 2, 3]     x    | c b a-b 5\n"
        in (example / "dist/2024-04/youtube.txt").read_text()
    )


# --- The YouTube description's size, as YouTube counts it --------------------------------------------------


def test_a_description_of_exactly_5000_bytes_is_accepted_and_one_more_is_refused(example):
    assert run("build", "2024-04").exit_code == 0
    size = len((example / "dist/2024-04/youtube.txt").read_bytes().rstrip(b"\n"))
    padding = "x" * (5000 - size)
    edit(example / TOPIC, 'summary = "The back-burner', f'summary = "{padding}The back-burner')
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert len((example / "dist/2024-04/youtube.txt").read_bytes().rstrip(b"\n")) == 5000
    edit(example / TOPIC, 'summary = "x', 'summary = "xx')
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert "the YouTube description is 5001 bytes; YouTube allows 5000" in result.stderr


# --- check writes nothing -------------------------------------------------------------------------------


def test_check_writes_nothing_not_even_the_template_cache_or_its_key(example, tmp_path):
    write(example / "templates/post.md", '{% extends "default/post.md" %}\n')
    config = Path(os.environ["XDG_CONFIG_HOME"])
    before = snapshot(example), snapshot(config), sorted(p.name for p in example.iterdir())
    result = run("check", "--all")
    assert result.exit_code == 0, result.output
    assert (snapshot(example), snapshot(config), sorted(p.name for p in example.iterdir())) == before
    assert not (example / ".monthlypost").exists()


def test_check_uses_the_template_cache_a_build_made(example, monkeypatch):
    write(example / "templates/post.md", '{% extends "default/post.md" %}\n')
    assert run("build", "2024-04").exit_code == 0
    cache = snapshot(example / ".monthlypost/cache")
    assert cache
    import jinja2

    compiled = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile", lambda *a, **k: compiled.append(1) or real(*a, **k))
    assert run("check", "2024-04").exit_code == 0
    assert snapshot(example / ".monthlypost/cache") == cache
    assert compiled == []  # every template came from the cache
