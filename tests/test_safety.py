"""SPEC §10: a careless or hostile workspace gets 'Error: FILE: …' and exit 1, and changes nothing anywhere.

Each case below starts from the example workspace, built once, next to a
folder outside it holding the user's other files. It breaks something, runs a
command, and checks the exit status, the error line naming the file, that no
traceback shows, and that every file in the workspace and outside it is
byte-for-byte (and mode-for-mode) as it was.
"""

from __future__ import annotations

import itertools
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import EXAMPLE_BLOG, edit, ordinary_user, run, run_as_user, write

TOPIC = "campaigns/2024-04/topic.toml"
SCRIPT = "campaigns/2024-04/script.md"
SETTINGS = "monthlypost.toml"
OUT = "dist/2024-04"


def world(top: Path) -> dict[str, tuple]:
    """Every entry under ``top``, symlinks not followed: its kind, mode and content.

    Compiled templates in .monthlypost/cache/ are left out: a cache, not anyone's files.
    """
    found: dict[str, tuple] = {}
    for parent, folders, names in os.walk(top):
        for name in folders + names:
            path = Path(parent) / name
            info = os.lstat(path)
            key = path.relative_to(top).as_posix()
            if ".monthlypost/cache" in key:
                continue
            if stat.S_ISLNK(info.st_mode):
                found[key] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[key] = ("folder", stat.S_IMODE(info.st_mode))
            elif not stat.S_ISREG(info.st_mode):  # a named pipe: reading it would wait for a writer
                found[key] = ("special", stat.S_IFMT(info.st_mode))
            else:
                found[key] = ("file", stat.S_IMODE(info.st_mode), path.read_bytes())
    return found


@pytest.fixture
def built(example, tmp_path):
    """The example workspace with its month built, and a folder of the user's own beside it."""
    outside = tmp_path / "outside"
    write(outside / "precious.txt", "the user's own file\n")
    (outside / "secret.jpg").write_bytes(b"\xff\xd8 private photo")
    assert run("build", "2024-04").exit_code == 0
    return example


# --- Ways to break a workspace -------------------------------------------------------------------


def script(text: str) -> Callable[[Path], None]:
    """script.md with ``text`` added, and the month's own photo.jpg beside it."""

    def apply(root: Path) -> None:
        (root / "campaigns/2024-04/photo.jpg").write_bytes(b"\xff\xd8 photo")
        with (root / SCRIPT).open("a", encoding="utf-8") as f:
            f.write("\n" + text + "\n")

    return apply


def topic(old: str, new: str) -> Callable[[Path], None]:
    return lambda root: edit(root / TOPIC, old, new)


def topic_line(line: str) -> Callable[[Path], None]:
    return lambda root: edit(root / TOPIC, "cta =", f"{line}\ncta =")


def settings(old: str, new: str) -> Callable[[Path], None]:
    return lambda root: edit(root / SETTINGS, old, new)


def template(name: str, text: str | bytes) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / "templates" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)

    return apply


def sparse(relative: str, size: int) -> Callable[[Path], None]:
    """``relative`` made a file of ``size`` bytes that takes no room on the disk (all a hole)."""

    def apply(root: Path) -> None:
        with (root / relative).open("wb") as f:
            f.truncate(size)

    return apply


def symlink(link: str, to: str) -> Callable[[Path], None]:
    """Replace ``link`` (relative to the workspace) with a symlink to ``to``."""

    def apply(root: Path) -> None:
        path = root / link
        if path.is_dir() and not path.is_symlink():
            path.rename(path.with_name("moved-" + path.name))
        elif path.exists() or path.is_symlink():
            path.unlink()
        path.symlink_to(to)

    return apply


def both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        for step in steps:
            step(root)

    return apply


def changed_script(root: Path) -> None:
    """A real change, so that the month must be rebuilt and the output folder is about to be replaced."""
    edit(root / SCRIPT, "Enjoy the video.", "Enjoy the video!")


def in_output(name: str, data: bytes = b"mine") -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / OUT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return apply


def manifest(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / OUT / "manifest.json"
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data, indent=2))

    return apply


def state_file(name: str, text: str) -> Callable[[Path], None]:
    return lambda root: write(root / ".monthlypost" / name, text)


@dataclass(frozen=True)
class Case:
    breaks: Callable[[Path], None]
    file: str  # as the Error: line names it
    says: str
    args: tuple[str, ...] = ("build", "2024-04")


DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
OUTSIDE_IMAGE = "../../../outside/secret.jpg"
PRECIOUS = "../outside/precious.txt"  # from the workspace, where commands run

CASES: dict[str, Case] = {
    # --- Writes outside its place -------------------------------------------------------------
    "image up and out with ..": Case(script(f"![x]({OUTSIDE_IMAGE})"), SCRIPT, "leads outside the month's folder"),
    "image .. back into the folder": Case(
        script("![x](sub/../../2024-04/photo.jpg)"), SCRIPT, "leads outside the month's folder"
    ),
    "image through a symlinked folder": Case(
        both(script("![x](shared/secret.jpg)"), symlink("campaigns/2024-04/shared", "../../../outside")),
        SCRIPT,
        "leads outside the month's folder (through a symlink)",
    ),
    "image that is a symlink out": Case(
        both(script("![x](photo.jpg)"), symlink("campaigns/2024-04/photo.jpg", OUTSIDE_IMAGE)),
        SCRIPT,
        "leads outside the month's folder (through a symlink)",
    ),
    # Markdown reads \. as an escaped dot: "......", a name Windows cannot hold
    "image with backslashes": Case(script("![x](..\\..\\..\\outside\\secret.jpg)"), SCRIPT, "Windows drops"),
    "image with backslashes as separators": Case(
        script("![x](..%5C..%5C..%5Coutside%5Csecret.jpg)"), SCRIPT, "leads outside the month's folder"
    ),
    "image named as a Windows device": Case(script("![x](img/CON.png)"), SCRIPT, "Windows keeps for a device (CON)"),
    "image name Windows cannot hold": Case(script("![x](img/a%3Fb.png)"), SCRIPT, "holding ?, which Windows"),
    "image with a drive letter": Case(script("![x](C:/outside/secret.jpg)"), SCRIPT, "is not a relative name"),
    "image with an encoded ..": Case(script("![x](%2e%2e/%2e%2e/outside.jpg)"), SCRIPT, "leads outside"),
    "image with a NUL": Case(script("![x](photo%00.jpg)"), SCRIPT, "control character"),
    "image named post.html": Case(
        both(script("![x](post.html)"), lambda r: write(r / "campaigns/2024-04/post.html", "x")),
        SCRIPT,
        "would be copied over the output post.html",
    ),
    "image named ./YouTube.txt": Case(
        both(script("![x](./YouTube.txt)"), lambda r: write(r / "campaigns/2024-04/YouTube.txt", "x")),
        SCRIPT,
        "would be copied over the output youtube.txt",
    ),
    "image named manifest.json": Case(script("![x](manifest.json)"), SCRIPT, "over the output manifest.json"),
    "image inside a folder named like an output": Case(
        both(script("![x](post.md/photo.jpg)"), lambda r: write(r / "campaigns/2024-04/post.md/photo.jpg", "x")),
        SCRIPT,
        "over the output post.md",
    ),
    "--out campaigns --force": Case(
        changed_script, "campaigns", "--out cannot be, hold or lie inside", ("build", "--out", "campaigns", "--force")
    ),
    "--out a month's folder": Case(
        changed_script,
        "campaigns/2024-04",
        "inside the workspace's campaigns/",
        ("build", "--out", "campaigns/2024-04"),
    ),
    "--out templates": Case(
        template("post.md", '{% extends "default/post.md" %}'),
        "templates",
        "the workspace's templates/",
        ("build", "--out", "templates", "--force"),
    ),
    "--out .monthlypost": Case(
        state_file("youtube-quota.json", "{}"),
        ".monthlypost/site",
        "the workspace's .monthlypost/",
        ("build", "--out", ".monthlypost/site"),
    ),
    "--out the workspace": Case(changed_script, ".", "cannot be the workspace itself", ("build", "--out", ".")),
    "--out above the workspace": Case(changed_script, "..", "--out cannot be", ("build", "--out", "..", "--force")),
    "--out inside a file": Case(
        lambda r: write(r / "site", "a file"),
        "site/2024",
        "part of its path is not a folder",
        ("build", "--out", "site/2024"),
    ),
    "dist a symlink out": Case(
        both(lambda r: (r / "dist").rename(r / "dist-old"), symlink("dist", "../outside")),
        "dist",
        "is a symlink",
        ("build", "2024-04", "--force"),
    ),
    "dist a file": Case(
        both(lambda r: (r / "dist").rename(r / "dist-old"), lambda r: write(r / "dist", "x")), "dist", "not a folder"
    ),
    # --- Loses the user's files ---------------------------------------------------------------
    "a hidden file in the output": Case(
        both(in_output(".htaccess"), changed_script), f"{OUT}/.htaccess", "not written"
    ),
    "a file of the user's in the output": Case(
        both(in_output("notes.txt"), changed_script), f"{OUT}/notes.txt", "not written by monthlypost"
    ),
    "a hidden folder of the user's in the output": Case(
        both(in_output(".git/config"), changed_script), f"{OUT}/.git/config", "not written by monthlypost"
    ),
    "an empty folder of the user's in the output": Case(
        both(lambda r: (r / OUT / "uploads").mkdir(), changed_script), f"{OUT}/uploads", "not written by monthlypost"
    ),
    "a symlink in the output": Case(
        both(lambda r: (r / OUT / "site").symlink_to("../../../outside"), changed_script),
        f"{OUT}/site",
        "not written by monthlypost",
    ),
    "a file where the output folder goes": Case(
        both(lambda r: __import__("shutil").rmtree(r / OUT), lambda r: write(r / OUT, "my notes")),
        OUT,
        "is not a folder monthlypost wrote",
    ),
    "a symlink where the output folder goes": Case(
        both(lambda r: __import__("shutil").rmtree(r / OUT), symlink(OUT, "../../outside")),
        OUT,
        "is not a folder monthlypost wrote",
    ),
    "an output edited by hand": Case(
        both(in_output("post.html", b"my careful edits"), changed_script),
        f"{OUT}/post.html",
        "edited since it was built",
    ),
    "an output replaced by a folder": Case(
        both(lambda r: (r / OUT / "youtube.txt").unlink(), lambda r: (r / OUT / "youtube.txt").mkdir(), changed_script),
        f"{OUT}/youtube.txt",
        "not written by monthlypost",
    ),
    # --- Trusts what it should check ----------------------------------------------------------
    "manifest.json edited by hand": Case(
        manifest(lambda m: m.update(video_id="AnotherVid1")), f"{OUT}/manifest.json", "edited since it was built"
    ),
    "manifest.json emptied": Case(lambda r: write(r / OUT / "manifest.json", "[]"), f"{OUT}/manifest.json", "edited"),
    "manifest.json not JSON": Case(in_output("manifest.json", b"\xff{"), f"{OUT}/manifest.json", "edited"),
    "manifest.json edited, then push": Case(
        manifest(lambda m: m.update(video_id="AnotherVid1")),
        f"{OUT}/manifest.json",
        "edited since it was built",
        ("youtube", "push", "2024-04", "--yes"),
    ),
    "manifest.json with a file's hash changed": Case(
        manifest(lambda m: m["files"].update({"youtube.txt": "0" * 64})), f"{OUT}/manifest.json", "edited"
    ),
    "manifest.json edited, then send-test": Case(
        manifest(lambda m: m.update(subject="Something else")),
        f"{OUT}/manifest.json",
        "edited",
        ("send-test", "2024-04", "--to", "me@example.com"),
    ),
    # --- Odd and broken inputs ----------------------------------------------------------------
    "a line break in the title": Case(topic('Keeps Coming Back"', 'Keeps\\nComing Back"'), TOPIC, "title: must be one"),
    "a carriage return in the subject": Case(topic_line('subject = "Hip\\rpain"'), TOPIC, "subject: must be one line"),
    "a line break in from_name": Case(
        settings('from_name = "Patrick Lerouge"', 'from_name = "Patrick\\nBcc: x@example.com"'),
        SETTINGS,
        "[email] from_name: must be one line",
    ),
    "a line break in the author's name": Case(
        settings('name = "Patrick Lerouge"', 'name = """Patrick\nLerouge"""'), SETTINGS, "[author] name: must be one"
    ),
    "a line break in a [links] name": Case(
        settings("[links]\n", '[links]\n"My\\nClinic" = "https://clinic.example"\n'), SETTINGS, "must be one line"
    ),
    "a control character in a key point": Case(
        topic("Recurring hip pain", "Recurring\\u001b[31m hip pain"), TOPIC, "key_points: contains a control"
    ),
    "a trailing newline in accent_color": Case(
        settings("[email]\n", '[email]\naccent_color = "#2a7ab0\\n"\n'), SETTINGS, "[email] accent_color"
    ),
    "a trailing newline in an address": Case(
        settings('reply_to = "Patrick@patricklerouge.com"', 'reply_to = "Patrick@patricklerouge.com\\n"'),
        SETTINGS,
        "[email] reply_to",
    ),
    "a trailing newline in a hashtag": Case(topic('"HipPain"', '"HipPain\\n"'), TOPIC, "hashtags"),
    "a trailing newline in the video id": Case(
        topic('"https://youtu.be/hipPain2404"', '"hipPain2404\\n"'), TOPIC, "video"
    ),
    "a trailing newline in the slug": Case(topic_line('slug = "hip-pain\\n"'), TOPIC, "slug"),
    "a trailing newline in category_id": Case(
        settings('category_id = "26"', 'category_id = "26\\n"'), SETTINGS, "category"
    ),
    "a trailing newline in a chapter": Case(
        topic_line('chapters = ["0:00 Intro", "1:05 Sitting", "2:30 Step\\n"]'), TOPIC, "chapters"
    ),
    "full-width digits in a chapter": Case(
        topic_line('chapters = ["0:00 Intro", "１:05 Sitting", "2:30 Step"]'), TOPIC, "is not a chapter"
    ),
    "a NUL in script.md": Case(
        lambda r: (r / SCRIPT).write_bytes((r / SCRIPT).read_bytes() + b"\nbroken \x00 here\n"),
        SCRIPT,
        "a control character (U+0000)",
    ),
    "an escape character in script.md": Case(
        lambda r: (r / SCRIPT).write_bytes(b"Colour \x1b[31m red\n"), SCRIPT, "line 1, column 8: a control character"
    ),
    "script.md not UTF-8": Case(lambda r: (r / SCRIPT).write_bytes(b"line\ncaf\xe9\n"), SCRIPT, "line 2: not UTF-8"),
    "topic.toml not UTF-8": Case(lambda r: (r / TOPIC).write_bytes(b'title = "caf\xe9"\n'), TOPIC, "not UTF-8"),
    "script.md is a folder": Case(
        both(lambda r: (r / SCRIPT).unlink(), lambda r: (r / SCRIPT).mkdir()), SCRIPT, "it is a folder, not a file"
    ),
    "topic.toml is a folder": Case(
        both(lambda r: (r / TOPIC).unlink(), lambda r: (r / TOPIC).mkdir()), TOPIC, "it is a folder, not a file"
    ),
    "script.md linked to itself": Case(symlink(SCRIPT, "script.md"), SCRIPT, "symlink loop"),
    "topic.toml linked to itself": Case(symlink(TOPIC, "topic.toml"), TOPIC, "symlink loop"),
    "script.md linked outside": Case(symlink(SCRIPT, "../../../outside/precious.txt"), SCRIPT, "leads outside"),
    "campaigns linked to itself": Case(symlink("campaigns", "campaigns"), "campaigns", "symlink loop"),
    "the month's folder linked to itself": Case(
        symlink("campaigns/2024-04", "2024-04"), "campaigns/2024-04", "symlink loop"
    ),
    "the month's folder is a file": Case(
        both(lambda r: (r / "campaigns/2024-04").rename(r / "moved"), lambda r: write(r / "campaigns/2024-04", "x")),
        "campaigns/2024-04",
        "is not a folder",
    ),
    "lists nested too deeply": Case(
        lambda r: (r / SCRIPT).write_text("".join("  " * i + f"- level {i}\n" for i in range(40))),
        SCRIPT,
        "nested too deeply",
    ),
    "quotes nested too deeply": Case(lambda r: (r / SCRIPT).write_text(">" * 80 + " deep\n"), SCRIPT, "nested too"),
    "script.md of 150 MB (sparse)": Case(
        sparse(SCRIPT, 150 * 2**20), SCRIPT, "it is 150 MB, and monthlypost reads no file over 100 MB"
    ),
    "an image of 150 MB (sparse)": Case(
        both(script("![x](big.jpg)"), sparse("campaigns/2024-04/big.jpg", 150 * 2**20)),
        SCRIPT,
        "image 'big.jpg' cannot be read: it is 150 MB",
    ),
    "a template that extends itself": Case(
        template("post.html", '{% extends "post.html" %}'), "templates/post.html", "extends or includes itself"
    ),
    "a template that includes itself": Case(
        template("youtube.txt", '{% include "youtube.txt" %}'), "templates/youtube.txt", "extends or includes itself"
    ),
    "two templates that extend each other": Case(
        both(template("post.html", '{% extends "base.html" %}'), template("base.html", '{% extends "post.html" %}')),
        "templates/",
        "extends or includes itself",
    ),
    "a template that is not UTF-8": Case(template("post.md", b"\xff\xfe"), "templates/post.md", "not UTF-8"),
    "a template with a NUL": Case(template("post.md", b"a\x00b"), "templates/post.md", "control character"),
    "a template whose expression fails": Case(
        template("post.html", "{{ 1 / 0 }}"), "templates/post.html", "line 1: ZeroDivisionError"
    ),
    "a template with a syntax error": Case(template("post.md", "{% if %}"), "templates/post.md", "line 1"),
    "a template that includes a file outside": Case(
        template("post.md", '{% include "../monthlypost.toml" %}'), "templates/post.md", "no template named"
    ),
    "a template linked outside": Case(
        both(template("post.md", ""), symlink("templates/post.md", "../../outside/precious.txt")),
        "templates/post.md",
        "leads outside templates/",
    ),
    "a template linked to itself": Case(
        both(template("post.md", ""), symlink("templates/post.md", "post.md")), "templates/post.md", "symlink loop"
    ),
    "a template asking for a value that does not exist": Case(
        template("post.md", "{{ nonsense }}"), "templates/post.md", "'nonsense' is undefined"
    ),
    # Templates run in Jinja's sandbox: were they not, each of these would delete or overwrite the user's file.
    "a template reaching os through a global function": Case(
        template("youtube.txt", f"{{{{ cycler.__init__.__globals__.os.remove({PRECIOUS!r}) }}}}"),
        "templates/youtube.txt",
        "line 1: access to attribute '__init__' of 'type' object is unsafe",
    ),
    "a template reaching os through lipsum": Case(
        template("youtube.txt", f"{{{{ lipsum.__globals__['os'].remove({PRECIOUS!r}) }}}}"),
        "templates/youtube.txt",
        "is unsafe",
    ),
    "a template reaching open through a value's class": Case(
        template(
            "post.md",
            "{% for c in title.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'catch_warnings' %}"
            f"{{{{ c()._module.__builtins__.open({PRECIOUS!r}, 'w').write('gone') }}}}{{% endif %}}{{% endfor %}}",
        ),
        "templates/post.md",
        "access to attribute '__class__' of 'str' object is unsafe",
    ),
    "a template reaching its own context": Case(
        template(
            "post.html",
            f"{{{{ self._TemplateReference__context.namespace.__init__.__globals__.os.remove({PRECIOUS!r}) }}}}",
        ),
        "templates/post.html",
        "is unsafe",
    ),
    "a template reaching through the author's settings": Case(
        template("post.md", "{{ author.__class__.__init__.__globals__ }}"), "templates/post.md", "is unsafe"
    ),
    "a template reaching through the attr filter": Case(
        template("youtube.txt", "{{ (cycler | attr('__init__')).__globals__ }}"), "templates/youtube.txt", "unsafe"
    ),
    "a template reaching through str.format": Case(
        template("youtube.txt", "{{ '{0.__init__.__globals__}'.format(cycler) }}"), "templates/youtube.txt", "unsafe"
    ),
    "[blog] url with {slug": Case(
        settings(EXAMPLE_BLOG, 'url = "https://example.com/{slug"\n'), SETTINGS, "opens or closes no"
    ),
    "[blog] url with a stray }": Case(
        settings(EXAMPLE_BLOG, 'url = "https://example.com/}{slug}/"\n'), SETTINGS, "[blog] url"
    ),
    "[blog] url reaching into Python": Case(
        settings(EXAMPLE_BLOG, 'url = "https://example.com/{slug.__class__}"\n'),
        SETTINGS,
        "unknown placeholder {slug.__class__}",
    ),
    "a [ in the video link": Case(
        topic('"https://youtu.be/hipPain2404"', '"https://[youtu.be/hipPain2404"'), TOPIC, "video:"
    ),
    "a [ in the website": Case(
        settings(
            'website = "https://www.livepainfreeprocess.com"\n\n[links]', 'website = "https://[www.x.com"\n\n[links]'
        ),
        SETTINGS,
        "[author] website",
    ),
    "a [ in a link, with utm on": Case(
        both(
            settings("[email]\n", "[email]\nutm = true\n"), settings("[links]\n", '[links]\nshop = "https://[shop.x"\n')
        ),
        SETTINGS,
        "[links] shop",
    ),
    "a port that is no number": Case(
        settings(
            'website = "https://www.livepainfreeprocess.com"\n\n[links]', 'website = "https://x.com:http/"\n\n[links]'
        ),
        SETTINGS,
        "[author] website",
    ),
    # --- State monthlypost keeps ----------------------------------------------------------------
    "youtube-quota.json holding a list": Case(
        state_file("youtube-quota.json", "[]"),
        ".monthlypost/youtube-quota.json",
        "damaged",
        ("youtube", "push", "2024-04", "--dry-run"),
    ),
    "youtube-quota.json with units that are text": Case(
        state_file("youtube-quota.json", '{"day": "2024-04-01", "units": "many"}'),
        ".monthlypost/youtube-quota.json",
        "damaged",
        ("youtube", "push", "2024-04", "--dry-run"),
    ),
    "youtube-pushed.json holding a list": Case(
        state_file("youtube-pushed.json", "[]"), ".monthlypost/youtube-pushed.json", "damaged", ("list",)
    ),
    ".monthlypost a symlink": Case(
        symlink(".monthlypost", "../outside"), ".monthlypost", "is a symlink", ("youtube", "push", "--dry-run")
    ),
    # --- Nested past what a parser follows (RecursionError), and input that would take minutes -------
    "topic.toml keywords nested 1,000 deep": Case(
        topic_line("keywords = " + "[" * 1000 + "]" * 1000), TOPIC, "invalid TOML: arrays or tables nested too deeply"
    ),
    "monthlypost.toml nested 1,000 deep": Case(
        settings("[youtube]\n", "[youtube]\ndeep = " + "[" * 1000 + "]" * 1000 + "\n"),
        SETTINGS,
        "invalid TOML: arrays or tables nested too deeply",
    ),
    "manifest.json nested 100,000 deep": Case(
        lambda r: (r / OUT / "manifest.json").write_bytes(DEEP_JSON),
        f"{OUT}/manifest.json",
        "edited since it was built",
    ),
    "youtube-pushed.json nested 100,000 deep": Case(
        state_file("youtube-pushed.json", DEEP_JSON.decode()),
        ".monthlypost/youtube-pushed.json",
        "delete it",
        ("list",),
    ),
    "youtube-quota.json nested 100,000 deep": Case(
        state_file("youtube-quota.json", DEEP_JSON.decode()),
        ".monthlypost/youtube-quota.json",
        "delete it",
        ("youtube", "push", "--dry-run"),
    ),
    "lists nested 1,000 levels by indentation": Case(
        script("\n".join("  " * i + "- x" for i in range(1_000))), SCRIPT, "a list item indented by 258 columns"
    ),
    "lists nested 10,000 levels on one line": Case(script("- " * 10_000 + "x"), SCRIPT, "more than 64 lists or quotes"),
    "quotes nested 10,000 levels on one line": Case(
        script("> " * 10_000 + "x"), SCRIPT, "more than 64 lists or quotes"
    ),
    "400,000 lists opened on one line": Case(script("- " * 400_000 + "x"), SCRIPT, "more than 64 lists or quotes open"),
    "50,000 unclosed image brackets": Case(script("![" * 50_000), SCRIPT, "50,000 '[' in a paragraph"),
    "a 32 KB web address in monthlypost.toml": Case(
        settings('website = "https://www.livepainfreeprocess.com"\n', f'website = "https://{"a" * 32_000}.com"\n'),
        SETTINGS,
        "'https://aaaa",
    ),
    "a 32 KB email address in monthlypost.toml": Case(
        settings('reply_to = "Patrick@patricklerouge.com"', f'reply_to = "{"a@" * 16_000}b"'),
        SETTINGS,
        "(32,001 characters) is not an email address",
    ),
    "a template making a number of 3 billion bits": Case(
        template("youtube.txt", "{{ 7 ** 999999999 }}"), "templates/youtube.txt", "line 1: 7 ** 999999999 is a number"
    ),
    "a template making a gigabyte of text": Case(
        template("youtube.txt", '{% set x = "x" * 1000000 %}\n{{ x ~ x ~ x ~ x ~ x }}'),
        "templates/youtube.txt",
        "line 2: a text or list too long to make",
    ),
    "a template writing a gigabyte": Case(
        template("post.md", '{% for i in range(1000) %}{{ "x" * 1000000 }}{% endfor %}'),
        "templates/post.md",
        "line 1: writes more than 4,194,304 characters",
    ),
    "a template making a gigabyte of text in a macro": Case(
        template(
            "post.md",
            '{% macro m() %}\n{% for i in range(1000) %}{{ "x" * 1000000 }}{% endfor %}{% endmacro %}{{ m() }}',
        ),
        "templates/post.md",
        "line 2: writes more than 4,194,304 characters",
    ),
    "a template joining a list to a gigabyte": Case(
        template(
            "youtube.txt",
            '{% set l = [] %}{% for i in range(1000) %}{{ l.append("x" * 1000000) }}{% endfor %}\n{{ l|join }}',
        ),
        "templates/youtube.txt",
        "given a text or list too long to work on",
    ),
    "a template padding to a gigabyte": Case(
        template("youtube.txt", '{{ "x"|center(10 ** 9) }}'), "templates/youtube.txt", "line 1: center(…1,000,000,000…)"
    ),
    "a template formatting a gigabyte": Case(
        template("youtube.txt", '{{ "%999999999d" % 1 }}'), "templates/youtube.txt", "a width or precision of a million"
    ),
    # --- Other commands -------------------------------------------------------------------------
    "new with a control character in the title": Case(
        lambda r: None,
        "campaigns/2024-09/topic.toml",
        "contains a control character",
        ("new", "2024-09", "--title", "a\x7fb"),
    ),
    "new with a title YouTube refuses": Case(
        lambda r: None, "campaigns/2024-09/topic.toml", "must not contain < or >", ("new", "2024-09", "--title", "<b>")
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_a_broken_workspace_gets_an_error_and_changes_nothing(built, tmp_path, monkeypatch, name):
    case = CASES[name]
    case.breaks(built)
    token = tmp_path / "token.json"  # a login that parses, so commands that need one get as far as they can
    token.write_text(
        json.dumps({"type": "authorized_user", "refresh_token": "r", "client_id": "c", "client_secret": "s"})
    )
    monkeypatch.setenv("MONTHLYPOST_YOUTUBE_TOKEN", str(token))
    monkeypatch.setenv("MONTHLYPOST_YOUTUBE_API_URL", "http://127.0.0.1:9/")  # nothing listens there
    before = world(tmp_path)

    result = run(*case.args)

    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert any(line.startswith(f"Error: {case.file}") and case.says in line for line in errors), result.stderr
    assert "Traceback" not in result.output
    assert world(tmp_path) == before


def pipe(relative: str) -> Callable[[Path], None]:
    """``relative`` replaced by a named pipe, which nothing ever writes to."""

    def apply(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        os.mkfifo(path)

    return apply


NOT_FILES: dict[str, Case] = {
    "topic.toml a named pipe": Case(pipe(TOPIC), TOPIC, ""),
    "script.md a named pipe": Case(pipe(SCRIPT), SCRIPT, ""),
    "an image a named pipe": Case(both(script("![x](pipe.jpg)"), pipe("campaigns/2024-04/pipe.jpg")), SCRIPT, ""),
    "a template a named pipe": Case(pipe("templates/post.md"), "templates/post.md", ""),
    "monthlypost.toml a link to a device": Case(symlink(SETTINGS, "/dev/null"), SETTINGS, ""),
    "a state file a named pipe": Case(
        pipe(".monthlypost/youtube-pushed.json"), ".monthlypost/youtube-pushed.json", "", ("list",)
    ),
}


@pytest.mark.parametrize("name", NOT_FILES)
def test_a_pipe_or_a_device_is_an_error_not_a_wait(built, tmp_path, name):
    """Run as a program with a time limit: read as a file, a pipe would wait for a writer forever."""
    case = NOT_FILES[name]
    case.breaks(built)
    before = world(tmp_path)

    result = subprocess.run(
        [sys.executable, "-m", "monthlypost", *case.args], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1, result.stdout + result.stderr
    says = "cannot be read: it is not a file but a pipe, a socket or a device"
    assert any(line.startswith(f"Error: {case.file}") and says in line for line in result.stderr.splitlines()), (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert world(tmp_path) == before


FORGERY = "evil\x1b[31mRED\x1b]0;pwned\x07\nError: all is fine\u202e.txt"


def test_a_file_name_can_neither_forge_a_line_nor_steer_the_terminal(built):
    """A name holding a line break, escape sequences (colour, a window title) and a direction override."""
    (built / "dist/2024-04" / FORGERY).write_text("planted")
    edit(built / "campaigns/2024-04/topic.toml", "The back-burner", "The Back-burner")  # stale, to be rebuilt

    result = run("build", "2024-04")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: dist/2024-04/evil\\x1b[31mRED\\x1b]0;pwned\\x07\\nError: all is fine\\u202e.txt: "
        "not written by monthlypost; move it elsewhere, or rerun with --force to delete it",
        "2024-04: not built",
    ]


def test_printable_escapes_what_steers_a_terminal_and_keeps_every_other_character():
    from monthlypost.errors import printable

    assert printable("a\tb\x00\x7f\x9b\u2066c") == "a\\tb\\x00\\x7f\\x9b\\u2066c"
    assert printable("Café — 😀 \u05e9\u05dc\u05d5\u05dd ‹›") == "Café — 😀 \u05e9\u05dc\u05d5\u05dd ‹›"


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 60


# --- What is fine, and stays fine -----------------------------------------------------------------

ACCEPTED: dict[str, Callable[[Path], None]] = {
    "a byte-order mark in topic.toml (Notepad)": lambda r: (r / TOPIC).write_bytes(
        b"\xef\xbb\xbf" + (r / TOPIC).read_bytes()
    ),
    "a byte-order mark in monthlypost.toml": lambda r: (r / SETTINGS).write_bytes(
        b"\xef\xbb\xbf" + (r / SETTINGS).read_bytes()
    ),
    "a byte-order mark in a template": template("youtube.txt", '\ufeff{% extends "default/youtube.txt" %}'),
    "Windows line endings everywhere": lambda r: [
        p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n")) for p in (r / TOPIC, r / SCRIPT, r / SETTINGS)
    ],
    "a file nothing uses that cannot be read (a symlink loop)": lambda r: symlink(
        "campaigns/2024-04/notes.txt", "notes.txt"
    )(r),
    "an image by an absolute path (a link on the site)": script("![x](/etc/passwd)"),
    "a symlink inside the month's folder to a file inside it": both(
        script("![x](same.jpg)"), symlink("campaigns/2024-04/same.jpg", "photo.jpg")
    ),
    "an image reached through a folder and back": script("![x](img/../photo.jpg)"),
    "a hidden image": both(
        lambda r: (r / "campaigns/2024-04/.photo.png").write_bytes(b"png"), script("![x](.photo.png)")
    ),
    # The compiled-template cache is only a cache: linked out of the workspace, it is done without.
    ".monthlypost/cache a symlink out": both(symlink(".monthlypost/cache", "../../outside"), changed_script),
    "the cache's folder a symlink out": both(
        lambda r: symlink(next((r / ".monthlypost/cache").iterdir()).relative_to(r).as_posix(), "../../../outside")(r),
        changed_script,
    ),
    "a [ in a link in the script, with utm on": both(
        settings("[email]\n", "[email]\nutm = true\n"), script("[a](https://[www.livepainfreeprocess.com/x)")
    ),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_odd_but_harmless_inputs_build_and_write_only_the_outputs(built, tmp_path, name):
    ACCEPTED[name](built)
    outside = world(tmp_path / "outside")
    source = {k: v for k, v in world(built).items() if not k.startswith("dist/")}

    result = run("build", "2024-04")

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert world(tmp_path / "outside") == outside
    assert {k: v for k, v in world(built).items() if not k.startswith("dist/")} == source
    written = [p for p in world(built / "dist")]
    archive = ("index.html", "feed.xml", "feed.json", "sitemap.xml", "archive.json")
    assert all(p == "2024-04" or p.startswith("2024-04/") or p in archive for p in written), written


def test_an_image_reached_through_dot_dot_is_copied_under_its_plain_name(built):
    script("![x](img/../photo.jpg)")(built)
    assert run("build", "2024-04").exit_code == 0
    assert (built / OUT / "photo.jpg").read_bytes() == b"\xff\xd8 photo"
    assert not (built / OUT / "img").exists()


# --- A build killed or interrupted at any step of the swap ---------------------------------------------

# Runs `monthlypost build 2024-04` with every file-system change during the replace counted, and the
# process killed outright (no cleanup of any kind runs) just before change number KILL_AT.
KILLER = """
import os, sys
from monthlypost import build, outputs
from monthlypost.cli import cli

kill_at, counting, changes = int(sys.argv[1]), [False], [0]

def counted(call):
    def change(*args, **kwargs):
        if counting[0]:
            if changes[0] == kill_at:
                os._exit(137)
            changes[0] += 1
        return call(*args, **kwargs)
    return change

for name in ("mkdir", "rename", "replace", "unlink", "rmdir", "open"):
    setattr(os, name, counted(getattr(os, name)))

def replace(*args, **kwargs):
    counting[0] = True
    try:
        return outputs.replace(*args, **kwargs)
    finally:
        counting[0] = False
        print("CHANGES", changes[0], file=sys.stderr)

build.replace = replace
cli(["build", "2024-04"])
"""


def kill_build_at(root: Path, step: int) -> str:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", KILLER, str(step)], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "dist").iterdir() if p.name.startswith("."))


def test_a_build_killed_at_any_step_of_the_swap_is_put_right_by_the_next_command(built):
    old = world(built / OUT)
    changed_script(built)
    finished = kill_build_at(built, 10_000)  # never killed: how many changes a replace makes
    steps = int(finished.split("CHANGES ")[-1].split()[0])
    assert steps >= 10
    new = world(built / OUT)
    assert new != old

    for step in range(steps):
        edit(built / SCRIPT, "Enjoy the video!", "Enjoy the video.")
        run("build", "2024-04", "--force")  # back to the old outputs
        assert world(built / OUT) == old
        changed_script(built)

        kill_build_at(built, step)
        if (built / OUT).exists():  # whatever instant it died at, the outputs are the old or the new ones
            assert world(built / OUT) in (old, new), f"killed at change {step}"
        else:  # killed between the two renames: the old outputs wait beside, to be put back
            assert any(name.startswith(".2024-04.old-") for name in leftovers(built)), f"killed at change {step}"

        listed = run("list")  # the next command, whichever it is, finishes or undoes what was left
        assert listed.exit_code == 0 and leftovers(built) == [], f"killed at change {step}"
        assert world(built / OUT) in (old, new)
        result = run("build", "2024-04")
        assert result.exit_code == 0, result.output
        assert world(built / OUT) == new and leftovers(built) == []


class Interrupted(BaseException):
    """What Ctrl-C raises (KeyboardInterrupt), kept apart so pytest itself is not interrupted."""


@pytest.mark.parametrize("signal", [KeyboardInterrupt, OSError])
def test_ctrl_c_or_a_failing_write_at_any_step_leaves_the_old_outputs_and_no_temporary_folder(
    built, monkeypatch, signal
):
    from monthlypost import outputs

    old = world(built / OUT)
    changed_script(built)
    run("build", "2024-04", "--out", "../expected")
    new = world(built.parent / "expected/2024-04")
    calls = {"n": 0, "at": -1}
    real = {name: getattr(os, name) for name in ("mkdir", "rename", "open")}

    def failing(name):
        def call(*args, **kwargs):
            if calls["n"] == calls["at"]:
                calls["n"] += 1
                raise Interrupted() if signal is KeyboardInterrupt else OSError(28, "No space left on device")
            calls["n"] += 1
            return real[name](*args, **kwargs)

        return call

    for name in real:
        monkeypatch.setattr(outputs.os, name, failing(name))
    for step in itertools.count():
        edit(built / SCRIPT, "Enjoy the video!", "Enjoy the video.")
        run("build", "2024-04", "--force")  # back to the old outputs
        changed_script(built)
        calls.update(n=0, at=step)
        try:
            result = run("build", "2024-04")
        except Interrupted:
            result = None
        calls.update(at=-1)
        if calls["n"] <= step:  # the build made fewer calls than this: every step has been tried
            assert step >= 8
            break
        if result is not None:
            assert signal is OSError and (result.exit_code == 0 or "the disk is full" in result.stderr)
        now = world(built / OUT)
        assert now in (old, new), f"interrupted at call {step}"
        if now == old:  # stopped before the swap: nothing of it is left, not even for the next command
            assert leftovers(built) == [], f"interrupted at call {step}"
        assert run("list").exit_code == 0
        assert leftovers(built) == [], f"interrupted at call {step}"


def test_ctrl_c_ends_a_build_with_aborted_not_a_traceback(built, monkeypatch):
    import monthlypost.build

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(monthlypost.build, "render_month", interrupted)
    changed_script(built)
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Aborted!"


# --- What a build records is what it rendered ---------------------------------------------------------


def test_a_script_saved_while_the_month_renders_leaves_it_stale_not_current(built, monkeypatch):
    import monthlypost.build

    real = monthlypost.build._run_templates

    def save_while_rendering(workspace, campaign, problems):
        edit(built / SCRIPT, "Enjoy the video.", "Saved meanwhile.")  # the editor saves mid-build
        return real(workspace, campaign, problems)

    monkeypatch.setattr(monthlypost.build, "_run_templates", save_while_rendering)
    edit(built / SCRIPT, "Let me show you", "Let me now show you")
    assert run("build", "2024-04").exit_code == 0
    assert "Let me now show you" in (built / OUT / "post.md").read_text()
    assert "Saved meanwhile." not in (built / OUT / "post.md").read_text()
    monkeypatch.setattr(monthlypost.build, "_run_templates", real)

    assert run("list").stdout.split()[1] == "stale"
    assert run("build", "2024-04").stdout.startswith("2024-04: built")
    assert "Saved meanwhile." in (built / OUT / "post.md").read_text()


def test_a_hidden_image_is_an_input_like_any_other(built):
    (built / "campaigns/2024-04/.photo.png").write_bytes(b"first")
    script("![A photo](.photo.png)")(built)
    assert run("build", "2024-04").exit_code == 0
    assert run("build", "2024-04").stdout.startswith("2024-04: up to date")

    (built / "campaigns/2024-04/.photo.png").write_bytes(b"second")
    assert run("list").stdout.split()[1] == "stale"
    assert run("build", "2024-04").stdout.startswith("2024-04: built")
    assert (built / OUT / ".photo.png").read_bytes() == b"second"


def test_a_file_the_month_does_not_use_does_not_make_it_stale(built):
    (built / "campaigns/2024-04/raw-footage.mov").write_bytes(b"\x00" * 1000)
    assert run("build", "2024-04").stdout.startswith("2024-04: up to date")


def test_a_new_template_override_makes_every_month_stale(built):
    template("youtube.txt", '{% extends "default/youtube.txt" %}')(built)
    assert run("list").stdout.split()[1] == "stale"
    assert run("build", "2024-04").stdout.startswith("2024-04: built")
    template("unused.html", "never included")(built)
    assert run("build", "2024-04").stdout.startswith("2024-04: up to date")


def test_list_shows_a_month_with_a_damaged_manifest_as_stale(built):
    write(built / OUT / "manifest.json", "[]")
    result = run("list")
    assert result.exit_code == 0
    assert result.stdout.split()[1] == "stale"


def test_new_refuses_a_month_in_other_digits(built):
    result = run("new", "２０２４-０９")
    assert result.exit_code == 2
    assert "is not a month like 2024-04" in result.stderr
    assert sorted(p.name for p in (built / "campaigns").iterdir()) == ["2024-04"]


# --- Files an ordinary user cannot read or write ---------------------------------------------------------


def unreadable(relative: str) -> Callable[[Path], None]:
    return lambda root: (root / relative).chmod(0)


PERMISSION_CASES: dict[str, tuple[Callable[[Path], None], tuple[str, ...], str, str]] = {
    # what is made unreadable or unwritable, the command, the file named, what is said
    "topic.toml": (unreadable(TOPIC), ("build", "2024-04"), TOPIC, "cannot be read: permission denied"),
    "script.md": (unreadable(SCRIPT), ("check", "2024-04"), SCRIPT, "cannot be read: permission denied"),
    "monthlypost.toml": (unreadable(SETTINGS), ("build", "2024-04"), SETTINGS, "cannot be read: permission denied"),
    "an image": (
        both(script("![x](photo.jpg)"), unreadable("campaigns/2024-04/photo.jpg")),
        ("build", "2024-04"),
        SCRIPT,
        "image 'photo.jpg' cannot be read: permission denied",
    ),
    "a template": (
        both(template("post.md", '{% extends "default/post.md" %}'), unreadable("templates/post.md")),
        ("build", "2024-04"),
        "templates/post.md",
        "cannot be read: permission denied",
    ),
    "campaigns/": (unreadable("campaigns"), ("list",), "campaigns", "permission denied"),
    "the output folder": (
        both(changed_script, unreadable(OUT)),
        ("build", "2024-04"),
        OUT,
        "cannot be read: permission denied",
    ),
    "dist/, unwritable": (
        both(changed_script, lambda r: (r / "dist").chmod(0o555)),
        ("build", "2024-04"),
        OUT,
        "could not write the outputs: permission denied",
    ),
}


@pytest.mark.parametrize("name", PERMISSION_CASES)
def test_files_an_ordinary_user_cannot_use_are_errors(built, tmp_path, name):
    breaks, args, path, says = PERMISSION_CASES[name]
    ordinary_user()  # skips, saying why, where it cannot be done
    breaks(built)
    before = world(tmp_path)
    try:
        result = run_as_user(*args)
        after = world(tmp_path)  # read as root, before the permissions are put back
    finally:
        for parent, folders, names in os.walk(tmp_path):  # let pytest clean up
            for entry in folders + names:
                if not os.path.islink(os.path.join(parent, entry)):
                    os.chmod(os.path.join(parent, entry), 0o755)
    assert result.returncode == 1, result.stderr
    assert any(line.startswith(f"Error: {path}: ") and says in line for line in result.stderr.splitlines()), (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert after == before


def test_an_unreadable_file_does_not_stop_list_or_a_month_that_does_not_use_it(built):
    ordinary_user()
    write(built / "campaigns/2024-04/private-notes.txt", "notes")
    (built / "campaigns/2024-04/private-notes.txt").chmod(0)
    (built / TOPIC).chmod(0)
    try:
        listed = run_as_user("list")
        (built / TOPIC).chmod(0o644)
        changed_script(built)
        result = run_as_user("build", "2024-04")
    finally:
        (built / "campaigns/2024-04/private-notes.txt").chmod(0o644)
        (built / TOPIC).chmod(0o644)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("2024-04  stale      (no title")
    assert result.returncode == 0, result.stderr


def test_links_names_and_addresses_stay_text_in_post_md(built):
    settings("[links]\n", '[links]\n"<img src=x onerror=alert(1)>" = "https://x.example/a_(b)<i>"\n')(built)
    assert run("build", "2024-04").exit_code == 0
    from markdown_it import MarkdownIt

    markdown = (built / OUT / "post.md").read_text()
    tokens = MarkdownIt("commonmark").parse(markdown)  # raw HTML on, as Jekyll's kramdown has it
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & {"html_inline", "html_block"}
    links = [c.attrs["href"] for t in tokens for c in t.children or [] if c.type == "link_open"]
    assert "https://x.example/a_%28b%29%3Ci%3E" in links


def test_outputs_built_by_0_1_0_are_stale_not_edited(built):
    """Manifests from before they carried their own hash are trusted to say which files are ours, no more."""
    path = built / OUT / "manifest.json"
    manifest = json.loads(path.read_text())
    for key in ("manifest_sha256", "inputs"):
        del manifest[key]
    path.write_text(json.dumps({**manifest, "version": "0.1.0"}, indent=2))
    assert run("list").stdout.split()[1] == "stale"
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["version"] != "0.1.0"
    path.write_text(json.dumps({**manifest, "version": "0.1.0", "video_id": "AnotherVid1"}, indent=2))
    assert run("build", "2024-04").stdout.startswith("2024-04: built")  # rebuilt before anything could use it
    assert json.loads(path.read_text())["video_id"] == "hipPain2404"
