"""A month's output folder: what monthlypost wrote there, checked, and replaced whole or not at all.

``manifest.json`` lists every file with its sha256 and carries a hash of its
own content, so an edit by hand to any file, the manifest included, is seen.
A file monthlypost did not write (hidden ones included), or anything that is
not a folder where the outputs belong, is never deleted without ``force``.

Replacing is a swap: the new outputs are written into ``.MONTH.new-PID``
beside the folder, the old folder is renamed to ``.MONTH.old-PID`` and the new
one into its place. A process killed at any instant leaves the old outputs or
the new ones plus temporary folders, which :func:`recover` (run before every
read or write of the folder) puts right.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monthlypost.errors import MonthlypostError, Problem
from monthlypost.paths import PathError, fail, kind, make_folders, parse_json, read_bytes
from monthlypost.system import no_follow

MANIFEST = "manifest.json"
IMAGES = ("share.jpg", "email.jpg", "youtube-thumbnail.jpg")  # the month's image, three ways (the last from a master)
SEAL = "manifest_sha256"  # the manifest's hash of its own content
OUTPUTS = (
    "post.html",
    "post.md",
    "newsletter.mjml",
    "newsletter.html",
    "newsletter.txt",
    "newsletter.eml",
    "youtube.txt",
    *IMAGES,
)
RESERVED = frozenset(name.casefold() for name in (*OUTPUTS, MANIFEST))  # an image may not take these names
UNSEALED_VERSIONS = ("0.1.0",)  # wrote manifest.json without manifest_sha256
NOT_OURS = "not written by monthlypost; move it elsewhere, or rerun with --force to delete it"
EDITED = "edited since it was built; move it elsewhere, or rerun with --force to replace it"
NOT_A_FOLDER = "is not a folder monthlypost wrote; move it elsewhere, or rerun with --force to replace it"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- The manifest ---------------------------------------------------------------------------


def _digest(body: dict[str, Any]) -> str:
    return sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def seal(manifest: dict[str, Any]) -> bytes:
    """manifest.json's bytes, closing with the hash of everything above it."""
    body = {key: value for key, value in manifest.items() if key != SEAL}
    return (json.dumps({**body, SEAL: _digest(body)}, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def unseal(data: bytes) -> dict[str, Any] | None:
    """The manifest, if it is exactly as monthlypost wrote it; None if edited or damaged.

    One from a version that did not seal its manifests yet is taken as it is
    (marked ``legacy``), so that upgrading does not make every output look
    edited by hand; its month is stale, so it is rebuilt before anything uses it.
    """
    try:
        manifest = parse_json(data)
    except ValueError:
        return None
    if not isinstance(manifest, dict):
        return None
    if SEAL not in manifest and manifest.get("version") in UNSEALED_VERSIONS:
        manifest["legacy"] = True
    elif manifest.pop(SEAL, None) != _digest(manifest) or "legacy" in manifest:
        return None
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return None
    return manifest


# --- What is there now ------------------------------------------------------------------------


@dataclass
class Folder:
    """An output folder as it is: the manifest if intact, the files that match it, and what is not ours."""

    path: Path
    manifest: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # listed in the manifest and unchanged
    sealed: bytes = b""  # manifest.json as it is
    foreign: list[Problem] = field(default_factory=list)  # not written by monthlypost, or edited since

    @property
    def exists(self) -> bool:
        return self.manifest is not None or bool(self.foreign)

    @property
    def intact(self) -> bool:
        """Every file the manifest lists, unchanged, and nothing else."""
        if self.manifest is None or self.manifest.get("legacy"):
            return False
        return not self.foreign and len(self.files) == len(self.manifest["files"])


def inspect(target: Path) -> Folder:
    """Read an output folder and check every entry in it against its manifest; never raises for its content."""
    folder = Folder(target)
    what = kind(target)
    if what == "missing":
        return folder
    if what != "folder":
        folder.foreign.append(Problem(target, NOT_A_FOLDER))
        return folder
    entries = _entries(target, folder.foreign)
    unverified: set[str] = set()  # listed by a manifest that was edited: its line covers them
    if MANIFEST in entries:
        entries.pop(MANIFEST)
        try:
            data = read_bytes(target / MANIFEST)
        except PathError as err:
            folder.foreign.extend(err.problems)
            return folder
        folder.manifest, folder.sealed = unseal(data), data
        if folder.manifest is None:
            folder.foreign.append(Problem(target / MANIFEST, EDITED))
            unverified = _listed(data)
    recorded = folder.manifest["files"] if folder.manifest else {}
    for name, is_file in entries.items():
        path = target / name
        if name in unverified:
            continue
        if name not in recorded or not is_file:
            folder.foreign.append(Problem(path, NOT_OURS))
            continue
        try:
            data = read_bytes(path)
        except PathError as err:
            folder.foreign.extend(err.problems)
            continue
        if sha256(data) == recorded[name]:
            folder.files[name] = data
        else:
            folder.foreign.append(Problem(path, EDITED))
    return folder


def _listed(data: bytes) -> set[str]:
    """The names a manifest that fails its check lists, trusted for nothing but quieter messages."""
    try:
        files = parse_json(data).get("files")
    except (ValueError, AttributeError):
        return set()
    return {str(name) for name in files} if isinstance(files, dict) else set()


def _entries(target: Path, problems: list[Problem]) -> dict[str, bool]:
    """Every entry under ``target`` (symlinks not followed) → whether it is a regular file.

    Folders are entries only when empty (a folder with files in it is accounted for by them).
    """
    found: dict[str, bool] = {}

    def walk(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as err:
            problems.append(fail(folder, "cannot be read", err).problems[0])
            return
        if prefix and not entries:
            found[prefix] = False  # an empty folder of someone else's
        for entry in entries:
            name = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path, name + "/")
            else:  # a file, or a symlink, a socket…: only a regular file can be ours
                found[name] = entry.is_file(follow_symlinks=False)

    walk(os.fspath(target), "")
    return dict(sorted(found.items()))


def kept_images(target: Path, key: str) -> tuple[dict[str, bytes], dict[str, str]] | None:
    """The month's images in its output folder, and their digests, if its manifest says they were made from
    ``key`` and each is there as it was written (only plain files are read, never through a link); else None."""
    try:
        if kind(target / MANIFEST) != "file":
            return None
        built = parse_json(read_bytes(target / MANIFEST))  # each image is checked against it below
        files = built.get("files") if isinstance(built, dict) and built.get("image_key") == key else None
        if not isinstance(files, dict):
            return None
        kept = {}
        for name in (name for name in IMAGES if name in files):
            if kind(target / name) != "file":
                return None
            data = read_bytes(target / name)
            if files[name] != sha256(data):
                return None
            kept[name] = data
    except (PathError, ValueError):
        return None
    return kept, {name: files[name] for name in kept}


# --- Replacing it ------------------------------------------------------------------------------

_LEFTOVER = re.compile(r"^\.(?P<month>.+)\.(?P<kind>new|old)-(?P<pid>\d+)$")


def alive(pid: int) -> bool:
    """Whether another process with this id runs now (so its temporary folder is in use)."""
    from monthlypost.system import alive

    return pid != os.getpid() and alive(pid)


def temporary_folders(root: Path) -> dict[str, list[str]]:
    """The names of what builds left in ``root``, by month: read once for a whole run of months."""
    try:
        names = os.listdir(root)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as err:
        raise fail(root, "cannot be read", err) from None
    found: dict[str, list[str]] = {}
    for name in sorted(names):
        match = _LEFTOVER.match(name)
        if match:
            found.setdefault(match["month"], []).append(name)
    return found


def recover(target: Path, names: list[str] | None = None) -> None:
    """Finish what a killed build left beside ``target``: put the old outputs back if no folder took their
    place, and remove the temporary folders. Those of a build running now are left alone.

    ``names``: what :func:`temporary_folders` found for this month, if the caller looked already.
    """
    parent = target.parent
    if names is None:
        names = temporary_folders(parent).get(target.name, [])
    leftovers: dict[str, list[Path]] = {"new": [], "old": []}
    for name in names:
        match = _LEFTOVER.match(name)
        if not match or match["month"] != target.name or alive(int(match["pid"])):
            continue
        # what we renamed away may be anything (--force replaces a file too); what we staged is a folder
        if match["kind"] == "old" or kind(parent / name) == "folder":
            leftovers[match["kind"]].append(parent / name)
    try:
        if leftovers["old"] and kind(target) == "missing":
            newest = max(leftovers["old"], key=lambda p: p.lstat().st_mtime)
            os.rename(newest, target)
            leftovers["old"].remove(newest)
        for path in leftovers["new"] + leftovers["old"]:
            _remove(path, quietly=False)
    except OSError as err:
        raise fail(target, "could not tidy what an interrupted build left", err) from None


def replace(target: Path, files: dict[str, bytes], force: bool = False, recovered: bool = False) -> None:
    """Make ``target`` hold exactly ``files``: all of them, or nothing changes.

    Anything there that monthlypost did not write, or that was edited since,
    stops it unless ``force``. A folder that holds exactly ``files`` already is
    left as it is, its files' times too (so a sync to a web server sends
    nothing). ``recovered``: the caller ran :func:`recover` already.
    """
    if not recovered:
        recover(target)
    if force:  # whatever is there goes, unless it is these very files
        if _holds_exactly(target, files):
            return
    else:
        current = inspect(target)
        if current.foreign:
            raise MonthlypostError(current.foreign)
        if current.intact and {**current.files, MANIFEST: current.sealed} == files:
            return
    parent = target.parent
    make_folders(parent)
    staging = parent / f".{target.name}.new-{os.getpid()}"
    old = parent / f".{target.name}.old-{os.getpid()}"
    try:
        os.mkdir(staging)
        for name, data in files.items():
            _write_new(staging, name, data)
        if kind(target) == "missing":
            os.rename(staging, target)
        else:
            os.rename(target, old)
            try:
                os.rename(staging, target)
            except BaseException:
                if kind(target) == "missing":
                    os.rename(old, target)
                raise
            _remove(old)
    except BaseException as err:
        with contextlib.suppress(OSError, PathError):
            if kind(staging) == "folder":
                _remove(staging)
        if isinstance(err, OSError):
            raise fail(target, "could not write the outputs", err) from None
        raise


def _holds_exactly(target: Path, files: dict[str, bytes]) -> bool:
    """Whether ``target`` is a folder of exactly these files, byte for byte (and so, its manifest too)."""
    if kind(target) != "folder":
        return False
    found: list[Problem] = []
    entries = _entries(target, found)
    if found or entries.keys() != files.keys() or not all(entries.values()):
        return False
    try:
        return all(read_bytes(target / name) == data for name, data in files.items())
    except PathError:
        return False


def _write_new(folder: Path, name: str, data: bytes) -> None:
    """A new file under a folder of our own; ``name`` is relative and normalised (see paths.output_name)."""
    path = folder / name
    for parent in reversed(path.relative_to(folder).parents[:-1]):
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder / parent)
    # O_EXCL: made new, never through a symlink already there (POSIX says so; O_NOFOLLOW says it again)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | no_follow() | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags, 0o666), "wb") as f:
        f.write(data)


def _remove(path: Path, quietly: bool = True) -> None:
    """Remove what was at an output path (ours, or --force said so); quietly, a failure leaves it for recover()."""
    import shutil

    try:
        if kind(path) == "folder":
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except OSError:
        if not quietly:
            raise
