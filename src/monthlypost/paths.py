"""The one place where a path that comes from a user's file, or a file a user may have damaged, is used.

Reading: every failure (missing, a folder, unreadable, a symlink loop, not UTF-8,
a control character) becomes ``FILE: what is wrong``. A name written in a
workspace (an image in script.md, a template) is followed, symlinks and all,
and refused unless it lands inside the folder it belongs to.

Writing: monthlypost writes only into a month's output folder (see
:mod:`monthlypost.outputs`), its staging siblings and ``.monthlypost/``.
:func:`output_root` decides where the output folders may be, and
:func:`write_atomically` writes state and secrets whole or not at all.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from monthlypost.errors import MonthlypostError
from monthlypost.layout import DIST
from monthlypost.system import file_locks, no_follow

# C0 controls but tab, line feed and carriage return; DEL; C1 controls. Lone surrogates (bytes that were not
# text) are no text either, but are found apart: a character class that reaches them takes a millisecond to
# compile, at every start of the program.
# control characters, and the two noncharacters XML (feeds, sitemaps, MJML) refuses outright
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def control_at(text: str) -> int | None:
    """Where the first character that no text holds is (a control character or a lone surrogate), if any."""
    found = _CONTROL.search(text)
    at = found.start() if found else None
    if not text.isascii():
        try:
            text[:at].encode("utf-8")  # only surrogates cannot be
        except UnicodeEncodeError as err:
            return err.start
    return at


def without_controls(text: str) -> str:
    """``text`` with every character :func:`control_at` finds taken out."""
    text = _CONTROL.sub("", text)
    return text if text.isascii() else text.encode("utf-8", "ignore").decode("utf-8")


BOM = "\ufeff"

_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "part of its path is not a folder",
    errno.ELOOP: "it is a symlink loop (a link that leads back to itself)",
    errno.ENOENT: "not found",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.ENAMETOOLONG: "its name is too long",
    errno.EEXIST: "something else is already there",
    errno.ENOTEMPTY: "something else is already there",
}


def reason(err: OSError) -> str:
    """An OSError as words a user can act on."""
    return _REASONS.get(err.errno or 0) or str(err.strerror or err)


class PathError(MonthlypostError):
    """A file or folder could not be used; the message names it and says why."""


def fail(path: Path | str, what: str, err: OSError) -> PathError:
    hint = "; check its permissions" if err.errno in (errno.EACCES, errno.EPERM) else ""
    return PathError.at(path, f"{what}: {reason(err)}{hint}")


def resolve(path: Path) -> Path:
    """``path`` with every symlink followed; a loop is an error, not a RuntimeError."""
    try:
        return path.resolve()
    except RuntimeError:  # Python < 3.13 reports a loop this way
        raise PathError.at(path, f"cannot be followed: {_REASONS[errno.ELOOP]}") from None
    except OSError as err:
        raise fail(path, "cannot be followed", err) from None


def kind(path: Path) -> str:
    """'missing', 'folder', 'file', 'link' (a symlink, not followed) or 'other'."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as err:
        raise fail(path, "cannot be looked at", err) from None
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "other"


def is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder (symlinks followed); a loop or an unreadable parent is an error."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as err:
        raise fail(path, "cannot be opened", err) from None


# --- Reading ---------------------------------------------------------------------------


READ_AT_MOST = 100 * 2**20  # far beyond any script, template or photo for a post
_NO_WAITING = getattr(os, "O_NONBLOCK", 0)


def read_bytes(path: Path, missing: str | None = None) -> bytes:
    """A file's bytes; ``missing`` is the message for a file that is not there (default: 'not found').

    Only a regular file is read, of at most :data:`READ_AT_MOST` bytes. It is
    opened without waiting, as a named pipe would otherwise wait for a writer
    forever; a device (a link to /dev/zero, say) would be read until memory ran
    out, and so would a sparse file that claims terabytes.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NO_WAITING | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise PathError.at(path, missing or "not found") from None
    except OSError as err:
        raise fail(path, "cannot be read", err) from None
    except ValueError:  # a NUL in the path itself
        raise PathError.at(path, "cannot be read: its name holds a NUL character") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise OSError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not stat.S_ISREG(info.st_mode):
            raise PathError.at(path, "cannot be read: it is not a file but a pipe, a socket or a device")
        if info.st_size > READ_AT_MOST:
            raise PathError.at(
                path,
                f"cannot be read: it is {info.st_size / 2**20:,.0f} MB, and monthlypost reads no file over "
                f"{READ_AT_MOST // 2**20} MB (a video, or a file that is not what its name says?)",
            )
        # (a regular file reads the same with or without O_NONBLOCK: it never waits)
        chunks, total, wanted = [], 0, info.st_size + 1  # the size it had a moment ago, and one byte to tell
        while chunk := os.read(fd, wanted):  # until the end, should it have grown meanwhile
            chunks.append(chunk)
            total += len(chunk)
            if total > READ_AT_MOST:
                raise PathError.at(path, f"cannot be read: it grew past {READ_AT_MOST // 2**20} MB as it was read")
            wanted = 2**20
        return b"".join(chunks)  # (one chunk: that very bytes object, not a copy)
    except OSError as err:
        raise fail(path, "cannot be read", err) from None
    finally:
        os.close(fd)


TEXT_AT_MOST = 2**20  # a text monthlypost reads (a script, topic.toml, a template): far beyond any month's


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 text, a leading byte-order mark dropped; bad bytes and control characters are errors with a line.

    At most :data:`TEXT_AT_MOST` bytes: reading a text costs time in proportion to it (and some parsers more),
    and no month's text comes near a megabyte."""
    if len(data) > TEXT_AT_MOST:
        raise PathError.at(
            path,
            f"{len(data) / 2**10:,.0f} KB of text; monthlypost reads texts of up to {TEXT_AT_MOST // 2**10:,} KB "
            "(a month's script is a few kilobytes): is it the file you meant?",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise PathError.at(path, f"line {line}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    text = text.removeprefix(BOM)
    at = control_at(text)
    if at is not None:
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        raise PathError.at(
            path,
            f"line {line}, column {column}: a control character (U+{ord(text[at]):04X}) that no text holds; "
            "the file may be damaged",
        )
    return text


def read_text(path: Path, missing: str | None = None) -> str:
    return decode_text(read_bytes(path, missing), path)


# --- Names from a workspace --------------------------------------------------------------


def inside(folder: Path, name: str, label: str) -> Path:
    """``folder/name`` with symlinks followed, which must stay inside ``folder`` (itself followed).

    ``label`` names the folder in the message: "the month's folder", "templates/".
    """
    base = resolve(folder)
    target = resolve(folder / name)
    if not target.is_relative_to(base):
        raise PathError.at(
            folder / name, f"leads outside {label} (through a symlink); copy the file into {label} instead"
        )
    return target


class BadReference(ValueError):
    """A local reference in script.md that cannot become a file in the output folder; says why."""


def output_name(reference: str, reserved: frozenset[str]) -> str:
    """A relative reference in script.md ('img/photo.jpg') as the name it is copied under in the output folder.

    The name is normalised ('a/../b.jpg' → 'b.jpg'), as a browser resolves it
    beside the post; it never leaves the folder and never takes the name of an
    output (``reserved``, compared without case), or lies inside one.
    """
    path = unquote(urlsplit(reference).path)
    if control_at(path) is not None:
        raise BadReference("its name holds a control character")
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        raise BadReference("is not a relative name like 'photo.jpg' or 'img/photo.jpg'")
    if not path:
        raise BadReference("names no file")
    name = posixpath.normpath(path.replace("\\", "/"))  # img\photo.jpg, as Windows writes it, is img/photo.jpg
    if name == "." or name == ".." or name.startswith("../"):
        raise BadReference("leads outside the month's folder")
    for part in name.split("/"):
        if problem := windows_problem(part):
            raise BadReference(problem)
    first = name.split("/")[0].casefold()
    if first in reserved:
        raise BadReference(f"would be copied over the output {first}; rename the image")
    return name


# Names Windows keeps for its devices, with any extension ('con.png' too), and what its names cannot hold: a
# workspace is made on one system and built on another, so these are refused everywhere.
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{kind}{n}" for kind in ("com", "lpt") for n in [*"123456789", "¹", "²", "³"]]
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')


def windows_problem(part: str) -> str | None:
    """Why Windows cannot hold a file or folder named ``part``, if it cannot."""
    if part.split(".")[0].casefold() in _WINDOWS_DEVICES:
        return f"has a name Windows keeps for a device ({part.split('.')[0]}); rename it"
    if found := _WINDOWS_FORBIDDEN.search(part):
        return f"has a name holding {found[0]}, which Windows does not allow in names; rename it"
    if part.endswith((".", " ")):
        return "has a name ending in a dot or a space, which Windows drops; rename it"
    return None


# --- Where outputs may go ------------------------------------------------------------------


def output_root(root: Path, out: Path | None, protected: dict[str, Path]) -> Path:
    """The folder months are built into: ``out``, else the workspace's dist/; never over the workspace's own files.

    ``protected`` names the workspace's own folders (campaigns/, templates/,
    .monthlypost/): the root may not be, hold or lie inside one of them, nor be
    the workspace itself.
    """
    if out is None:
        dist = root / DIST
        if kind(dist) == "link":
            raise PathError.at(
                dist, "is a symlink; monthlypost builds only into a real dist/ folder (--out DIR builds elsewhere)"
            )
        if kind(dist) not in ("missing", "folder"):
            raise PathError.at(dist, "is not a folder; move it away so monthlypost can build here")
        return dist
    where = resolve(out)
    workspace = resolve(root)
    if kind(where) not in ("missing", "folder"):
        raise PathError.at(out, "--out must be a folder")
    if where == workspace:
        raise PathError.at(out, "--out cannot be the workspace itself; use a folder of its own, like dist/ or ../site")
    for label, folder in protected.items():
        folder = resolve(folder)
        if where == folder or where.is_relative_to(folder) or folder.is_relative_to(where):
            raise PathError.at(
                out,
                f"--out cannot be, hold or lie inside the workspace's {label}; "
                "building there could overwrite your own files. Use a folder of its own, like dist/ or ../site",
            )
    return where


# --- Writing state and secrets -----------------------------------------------------------------


def make_folders(folder: Path, private: bool = False) -> None:
    """Create ``folder`` and any missing parents; only folders created here get mode 0700 when ``private``."""
    missing = []
    for parent in (folder, *folder.parents):
        if kind(parent) != "missing":
            break
        missing.append(parent)
    for parent in reversed(missing):
        try:
            parent.mkdir(mode=0o700 if private else 0o777)
        except FileExistsError:
            pass
        except OSError as err:
            raise fail(parent, "cannot be created", err) from None
        if private:
            os.chmod(parent, 0o700)  # mkdir's mode is filtered by the umask


def state_folder(folder: Path, *names: str) -> Path:
    """``folder``/``names``…, where monthlypost keeps state: it and each folder below it, where they exist,
    real folders rather than symlinks.

    A workspace comes with its .monthlypost/, a hostile one too: a link there,
    at any depth, would have what is kept there written or read wherever it leads.
    """
    paths = [folder]
    for name in names:
        paths.append(paths[-1] / name)
    for path in paths:
        found = kind(path)
        if found == "link":
            raise PathError.at(path, "is a symlink; monthlypost keeps its state only in real folders here")
        if found not in ("missing", "folder"):
            raise PathError.at(path, "is not a folder; move it away so monthlypost can keep its state there")
    return paths[-1]


def write_atomically(path: Path, data: bytes, private: bool = False) -> None:
    """Replace ``path`` with ``data`` in one step: whole or not at all. Private: mode 0600, new folders 0700.

    A symlink at ``path`` is replaced, never followed.
    """
    make_folders(path.parent, private)
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        staging.unlink(missing_ok=True)
        # O_EXCL: made new, never through a symlink already there (POSIX says so; O_NOFOLLOW says it again)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | no_follow() | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(staging, flags, 0o600 if private else 0o666), "wb") as f:
            f.write(data)
        os.replace(staging, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            staging.unlink(missing_ok=True)
        raise fail(path, "cannot be written", err) from None


def parse_json(data: bytes | str) -> Any:
    """JSON, whatever the bytes hold: malformed, not UTF-8, or nested deeper than Python can follow (a
    RecursionError from the json module) is the same ValueError."""
    try:
        return json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def read_state(path: Path) -> dict[str, Any]:
    """A JSON object monthlypost keeps in .monthlypost/ ({} when there is none yet); anything else is an error."""
    try:
        data = read_bytes(path)
    except PathError:
        if kind(path) == "missing":
            return {}
        raise
    try:
        value = parse_json(data)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise PathError.at(
            path, "damaged: not what monthlypost wrote there; delete it and monthlypost will start it afresh"
        )
    return value


def write_state(path: Path, value: dict[str, Any]) -> None:
    write_atomically(path, (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))


def write_entry(path: Path, key: str, entry: Any) -> None:
    """One entry of a state file (a month's record) replaced, the others kept; None removes it."""
    records = read_state(path)
    if entry is None:
        records.pop(key, None)
    else:
        records[key] = entry
    write_state(path, records)


@contextlib.contextmanager
def one_at_a_time(path: Path, waiting: Callable[[int | None], None]) -> Iterator[None]:
    """Held by one process at a time: the lock file ``path``. Another process holding it is waited for, after
    ``waiting`` (given its process id, if it wrote one) is called to say so.

    Where the lock file cannot be made or is not a plain file (a read-only workspace, a link or a pipe
    planted there), it goes ahead unlocked. Without file locks (Windows), see :func:`_lock_file`.
    """
    fcntl = file_locks()
    if fcntl is None:
        with _lock_file(path, waiting):
            yield
        return
    try:
        make_folders(path.parent)
        flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | no_follow() | getattr(os, "O_CLOEXEC", 0)
        _no_symlink_at(path, flags)
        fd = os.open(path, flags, 0o666)
    except (OSError, PathError):
        yield
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            fd = -1
        else:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 20, 0).strip()
                waiting(int(holder) if holder.isdigit() else None)
                fcntl.flock(fd, fcntl.LOCK_EX)
            with contextlib.suppress(OSError):  # the process id is only for a waiting one's message (a full
                os.ftruncate(fd, 0)  # disk is said by whatever the command writes next)
                os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)  # for the processes forked meanwhile too, which share it
            os.close(fd)


LOCK_POLL_SECONDS = 0.1
UNREADABLE_LOCK_SECONDS = 2.0  # a lock file without a process id in it this long is stale


@contextlib.contextmanager
def _lock_file(path: Path, waiting: Callable[[int | None], None]) -> Iterator[None]:
    """The lock without file locks: ``path`` made exclusively (O_EXCL), holding this process's id, and removed
    when done. One held by a process that runs is waited for; one whose process is gone (it crashed, or the
    computer lost power) is stale: removed, and made again. A lock file that holds no process id (being
    written this instant, or damaged) is waited for a moment, then taken as stale too."""
    import time

    from monthlypost.system import alive

    try:
        make_folders(path.parent)
    except PathError:
        yield
        return
    told, unreadable_since = False, None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | no_follow() | getattr(os, "O_BINARY", 0)
    while True:
        try:
            fd = os.open(path, flags, 0o666)
        except FileExistsError:
            if not _plain_file(path):  # a link or a pipe planted there: unlocked, as with file locks
                yield
                return
            holder = _holder(path)
            if holder is None:
                unreadable_since = unreadable_since or time.monotonic()
            if (holder is not None and alive(holder)) or (
                holder is None and time.monotonic() - unreadable_since < UNREADABLE_LOCK_SECONDS
            ):
                if not told and holder is not None:
                    waiting(holder)
                    told = True
                time.sleep(LOCK_POLL_SECONDS)
                continue
            if _holder(path) == holder:  # stale, and still the same (two that wait could both see it so)
                with contextlib.suppress(OSError):
                    os.unlink(path)
            unreadable_since = None
            continue
        except OSError:  # a read-only workspace, say: unlocked, as with file locks
            yield
            return
        with contextlib.suppress(OSError):
            os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        break
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _plain_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return True  # gone since: made again on the next try


def _holder(path: Path) -> int | None:
    try:
        with open(path, "rb") as f:
            written = f.read(20).strip()
    except OSError:
        return None
    return int(written) if written.isdigit() else None


def _no_symlink_at(path: Path, flags: int) -> None:
    """Without O_NOFOLLOW in ``flags``: a symlink at ``path`` refused before it is opened (a symlink made
    between the look and the open is still followed; only a process of the same user could make one)."""
    if not flags & getattr(os, "O_NOFOLLOW", 0) and path.is_symlink():
        raise PathError.at(path, "is a symlink; monthlypost keeps its state only in real files here")
