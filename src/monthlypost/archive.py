"""The archive beside the months in dist/: index.html, feed.xml (Atom), feed.json (JSON Feed) and sitemap.xml.

Each month's entry is made when the month is rendered and kept in its
manifest, so the archive is made from the months as they were last built: a
month that fails to build keeps its previous entry. The archive's files are
listed, with their hashes, in archive.json; like a month's outputs, none of
them is replaced if it was not written by monthlypost (or edited since)
without ``--force``.

Writing them is a swap too, though they share dist/ with the months and so
cannot be renamed as one folder: the new files and archive.json are written
into ``.archive.new-PID`` first, and only then moved into place, archive.json
last. A build killed before the move leaves a staging folder without
archive.json, which is thrown away; one killed during it leaves one with it,
whose move the next build finishes.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from monthlypost import __version__
from monthlypost.errors import MonthlypostError, Problem
from monthlypost.layout import CONFIG_NAME
from monthlypost.outputs import EDITED, MANIFEST, NOT_OURS, alive, seal, sha256, unseal
from monthlypost.paths import PathError, fail, kind, make_folders, read_bytes, write_atomically
from monthlypost.words import long_date, writing_direction

if TYPE_CHECKING:
    from monthlypost.build import Outcome
    from monthlypost.campaign import Campaign
    from monthlypost.workspace import Workspace

FILES = ("index.html", "feed.xml", "feed.json", "sitemap.xml")
LISTING = "archive.json"  # what the archive's files are, with their hashes (as a month's manifest.json)
_STAGING = re.compile(r"^\.archive\.new-(?P<pid>\d+)$")
NO_ADDRESS = (
    "has no [blog] url, so the archive (index.html, feed.xml, feed.json, sitemap.xml) is not written: "
    "feeds and sitemaps need the posts' full addresses; set url to where the posts are published"
)
JSON_FEED = "https://jsonfeed.org/version/1.1"


# --- A month's entry, made when the month is rendered --------------------------------------------


def month_entry(ctx: dict[str, Any], campaign: Campaign) -> dict[str, Any] | None:
    """The month as the archive lists it (None without [blog] url: it has no address to list)."""
    post_url, image, archive_url = ctx["post_url"], ctx["image"], ctx["archive"]["url"] if ctx["archive"] else None
    if post_url is None or image is None or archive_url is None:
        return None
    year = campaign.month.split("-")[0]
    return {
        # RFC 4151's tag URI: the site's host and the month, neither of which a new title or slug changes
        "id": f"tag:{urlsplit(archive_url).hostname},{year}:{campaign.month}",
        "month": campaign.month,
        "title": ctx["title"],
        "summary": ctx["summary"],
        "url": post_url,
        "published": ctx["published"].isoformat(),
        "updated": (ctx["modified"] or ctx["published"]).isoformat(),
        "date_text": long_date(ctx["date"], ctx["language"]),
        "image": image["share"],
        "image_width": image["width"],
        "image_height": image["height"],
        "image_alt": image["alt"],
        "keywords": list(ctx["keywords"]),
        "duration": ctx["duration"],
        "video": dict(ctx["video"]),
        "video_description": ctx["summary"][:2048],  # Google's video sitemap takes at most 2,048 characters
        "content_html": entry_content(ctx, campaign),
        "language": ctx["language"],
    }


def entry_content(ctx: dict[str, Any], campaign: Campaign) -> str:
    """The post as a feed entry's content: opening with its image, linked to the video, then the key points,
    the chapters, the script and the call to action. Every address in it is absolute, as feed readers show it
    away from the site; every text escaped."""
    from markupsafe import escape

    video, image, post_url = ctx["video"], ctx["image"], ctx["post_url"]

    def absolute(kind: str, url: str) -> str:
        return urljoin(post_url, url) if kind == "image" else url

    watch = escape(video["url"])
    parts = [
        f'<p><a href="{watch}"><img src="{escape(image["share"])}" alt="{escape(image["alt"])}" '
        f'width="{image["width"]}" height="{image["height"]}"></a></p>',
        f"<p>{escape(ctx['summary'])}</p>",
        f"<h2>{escape(ctx['t']['in_this_video'])}</h2>",
        "<ul>",
        *(f"<li>{escape(point)}</li>" for point in ctx["key_points"]),
        "</ul>",
    ]
    if ctx["chapters"]:
        parts += [f"<h2>{escape(ctx['t']['chapters'])}</h2>", "<ul>"]
        for chapter in ctx["chapters"]:
            link = escape(f"{video['url']}&t={chapter.seconds}s")
            parts.append(f'<li><a href="{link}">{escape(chapter.timestamp)}</a> {escape(chapter.label)}</li>')
        parts.append("</ul>")
    parts.append(campaign.script.html(None, absolute).strip())
    if ctx["cta"]:
        parts.append(f"<p><strong>{escape(ctx['cta'])}</strong></p>")
    parts.append(f'<p><a href="{watch}">{escape(ctx["t"]["watch_on_youtube"])}</a></p>')
    return "\n".join(parts)


def links(workspace: Workspace, month: str) -> dict[str, Any] | None:
    """Where the archive is, and the months before and after this one (their titles and addresses), for the
    post's links to them; None without [blog] url."""
    settings = workspace.settings
    base = settings.blog.archive_url
    if base is None:
        return None
    before, after = neighbours(workspace, month)

    def near(found: tuple[str, str, str] | None) -> dict[str, str] | None:
        if found is None:
            return None
        other, title, slug = found
        return {"month": other, "title": title, "url": settings.blog.post_url(slug, other) or ""}

    return {"url": base, "previous": near(before), "next": near(after)}


def neighbours(workspace: Workspace, month: str) -> tuple[tuple[str, str, str] | None, tuple[str, str, str] | None]:
    """The months before and after this one in the workspace, as (month, title, slug); None for one that is
    not there, or whose topic.toml does not read yet (no link to it). Found once per run for each month."""
    return workspace.remembered(("neighbours", month), lambda: _neighbours(workspace, month))


def _neighbours(workspace: Workspace, month: str) -> tuple[tuple[str, str, str] | None, tuple[str, str, str] | None]:
    order = list(workspace.months())
    at = order.index(month) if month in order else None

    def near(index: int) -> tuple[str, str, str] | None:
        if at is None or not 0 <= index < len(order):
            return None
        topic = workspace.peek(order[index])
        return (order[index], *topic) if topic else None

    return near(at - 1 if at is not None else -1), near(at + 1 if at is not None else len(order))


# --- The archive's files -----------------------------------------------------------------------------


@dataclass
class Result:
    """What became of the archive in a build."""

    status: str  # "written" | "up to date" | "not written" | "failed"
    root: Path
    problems: list[Problem] = field(default_factory=list)


def no_address(workspace: Workspace) -> Problem:
    """Why there is no archive, said once a run (not for every month)."""
    return Problem(workspace.root / CONFIG_NAME, NO_ADDRESS, "warning")


def update(workspace: Workspace, root: Path, outcomes: list[Outcome], force: bool = False) -> Result:
    """Write the archive of every month built in ``root``, newest first; the months of this build as they
    are now (``outcomes``), the others as their manifests in ``root`` say."""
    known = {outcome.month: outcome.manifest for outcome in outcomes if outcome.manifest}
    entries, sources = [], []
    for month in reversed(list(workspace.months())):
        built = known.get(month) or _built(root / month) or {}
        entry = built.get("entry")
        if isinstance(entry, dict):
            entries.append(entry)
            sources.append((month, str(built.get("inputs_sha256"))))
    try:
        source = made_from(workspace, sources)
        # An archive that is what these entries make, its files as written, is left as it is (told without
        # reading the settings or loading the templates' engine); with nothing built, none is made either.
        quiet = not force and not any(outcome.status == "built" for outcome in outcomes)
        if _listed(root).get(MADE_FROM, source if quiet else None) == source:
            return Result("up to date", root)
        settings = workspace.settings
        if settings.blog.url is None:
            return Result("not written", root, [no_address(workspace)])
        if not entries:
            return Result("not written", root)
        changed = commit(root, render(workspace, entries), force, source)
    except MonthlypostError as err:
        return Result("failed", root, err.problems)
    return Result("written" if changed else "up to date", root)


TEMPLATES = ("index.html", "feed.xml", "sitemap.xml")
MADE_FROM = "made_from"  # archive.json's hash of what the archive is made from: entries, templates, settings


def made_from(workspace: Workspace, entries: list[tuple[str, str]]) -> str:
    """A hash of what the archive is made of: the months' entries (each told by the month's inputs, which
    made it), the archive's templates, the settings and the version."""
    templates = {name: getattr(workspace.sources.find(name), "sha256", None) for name in TEMPLATES}
    source = {"version": __version__, "settings": workspace.settings_sha256, "templates": templates, "entries": entries}
    return sha256(json.dumps(source, sort_keys=True).encode("utf-8"))


def _listed(root: Path) -> dict[str, Any]:
    """archive.json as monthlypost wrote it, if every file it lists is there; else {}. (A file edited since is
    found when the archive is written again, and is then never replaced without --force.)"""
    try:
        listing = unseal(read_bytes(root / LISTING)) if kind(root / LISTING) == "file" else None
        if listing is None or any(kind(root / name) != "file" for name in listing["files"]):
            return {}
    except PathError:
        return {}
    return listing


def _built(folder: Path) -> dict[str, Any] | None:
    """A month's manifest in the output folder, if it is as monthlypost wrote it."""
    try:
        return unseal(read_bytes(folder / MANIFEST)) if kind(folder / MANIFEST) == "file" else None
    except PathError:
        return None


def render(workspace: Workspace, entries: list[dict[str, Any]]) -> dict[str, bytes]:
    """The archive's files, from the months' entries (newest first)."""
    from monthlypost.build import template_failures
    from monthlypost.render import og_locale, render_budget

    settings = workspace.settings
    author = settings.author
    base = settings.blog.archive_url
    assert base is not None
    site = {
        "id": base,
        "url": base,
        "feed_url": urljoin(base, "feed.xml"),
        "json_feed_url": urljoin(base, "feed.json"),
        "title": author.name,
        "description": (t := settings.words)["archive_description"](author.name),
        "language": author.language,
        "locale": og_locale(author.language),
        "direction": writing_direction(author.language),
        "accent_color": settings.email.accent_color,
        "author": {"name": author.name, "url": author.website},
        "updated": max((entry["updated"] for entry in entries), key=datetime.datetime.fromisoformat),
    }
    values = {"site": site, "entries": entries, "version": __version__, "t": t}
    env = workspace.jinja
    try:
        with render_budget():
            texts = {name: env.get_template(name).render(values) for name in TEMPLATES}
    except Exception as err:
        raise MonthlypostError(template_failures(err, workspace)) from None
    files = {name: text.encode("utf-8") for name, text in texts.items()}
    files["feed.json"] = (json.dumps(json_feed(site, entries), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return {name: files[name] for name in FILES}


def json_feed(site: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    authors = [{key: value for key, value in site["author"].items() if value}]
    return {
        "version": JSON_FEED,
        "title": site["title"],
        "home_page_url": site["url"],
        "feed_url": site["json_feed_url"],
        "description": site["description"],
        "language": site["language"],
        "authors": authors,
        "items": [
            {
                "id": entry["id"],
                "url": entry["url"],
                "title": entry["title"],
                "content_html": entry["content_html"],
                "summary": entry["summary"],
                "image": entry["image"],
                "date_published": entry["published"],
                "date_modified": entry["updated"],
                "authors": authors,
                "language": entry["language"],
                **({"tags": entry["keywords"]} if entry["keywords"] else {}),
            }
            for entry in entries
        ],
    }


# --- Writing them, whole or not at all ------------------------------------------------------------------


def commit(root: Path, files: dict[str, bytes], force: bool = False, source: str = "") -> bool:
    """Make ``root``'s archive files exactly ``files`` (made from ``source``, see made_from); whether anything
    changed.

    Refuses (unless ``force``) when one of those names in ``root`` holds what monthlypost did not write.
    """
    recover(root)
    listed = {"files": {name: sha256(data) for name, data in files.items()}, MADE_FROM: source}
    listing = seal({**listed, "version": __version__})
    now = _current(root, force)
    if {name: now.get(name) for name in files} == files:  # the same files: at most what they are made from is new
        if now.get(LISTING) != listing:
            write_atomically(root / LISTING, listing)
        return False
    make_folders(root)
    staging = root / f".archive.new-{os.getpid()}"
    try:
        os.mkdir(staging)
        for name, data in {**files, LISTING: listing}.items():  # the listing last: it marks the staging whole
            _write_new(staging / name, data)
        _move_in(staging, root)
    except OSError as err:
        _remove(staging)
        raise fail(root / LISTING, "could not write the archive", err) from None
    except BaseException:
        if kind(staging / LISTING) != "file":  # not whole: nothing was moved yet
            _remove(staging)
        raise  # else the next build finishes the move (see recover)
    return True


def _current(root: Path, force: bool) -> dict[str, bytes]:
    """The archive's files in ``root`` as they are, checked against archive.json."""
    found: dict[str, bytes] = {}
    foreign: list[Problem] = []
    recorded: dict[str, Any] = {}
    listing_path = root / LISTING
    if kind(listing_path) != "missing":
        data = read_bytes(listing_path) if kind(listing_path) == "file" else b""
        listed = unseal(data)
        if listed is None:
            foreign.append(Problem(listing_path, EDITED if data else NOT_OURS))
        else:
            recorded, found[LISTING] = listed["files"], data
    for name in FILES:
        path = root / name
        what = kind(path)
        if what == "missing":
            continue
        data = read_bytes(path) if what == "file" else None
        if data is None or recorded.get(name) != sha256(data):
            foreign.append(Problem(path, EDITED if name in recorded else NOT_OURS))
        else:
            found[name] = data
    if foreign and not force:
        raise MonthlypostError(foreign)
    return found


def _write_new(path: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags, 0o666), "wb") as f:
        f.write(data)


def _move_in(staging: Path, root: Path) -> None:
    """Each file of a whole staging folder into place (a folder or link in the way goes: --force said so, or
    it was checked to be ours), archive.json last; then the staging folder goes."""
    names = sorted(os.listdir(staging), key=lambda name: name == LISTING)
    for name in names:
        target = root / name
        if kind(target) in ("folder", "other"):
            _remove(target)
        os.replace(staging / name, target)
    os.rmdir(staging)


def recover(root: Path) -> None:
    """Finish the move of a killed build's whole staging folder; throw away one that was not whole."""

    try:
        names = os.listdir(root)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as err:
        raise fail(root, "cannot be read", err) from None
    for name in sorted(names):
        match = _STAGING.match(name)
        if not match or alive(int(match["pid"])) or kind(root / name) != "folder":
            continue
        staging = root / name
        try:
            if kind(staging / LISTING) == "file" and unseal(read_bytes(staging / LISTING)) is not None:
                _move_in(staging, root)
            else:
                _remove(staging)
        except OSError as err:
            raise fail(staging, "could not finish what an interrupted build left", err) from None


def _remove(path: Path) -> None:
    import shutil

    if kind(path) == "folder":
        shutil.rmtree(path, ignore_errors=True)
    elif kind(path) != "missing":
        os.unlink(path)
