"""What monthlypost asks of the operating system that not every system has, each behind one question here,
with the way it does without.

- ``fork``: rendering many months in a process per core, the workers forked from this one (Linux). Without
  it, in this process, one month after another.
- ``flock``: one command at a time on a workspace (or the YouTube quota), through a lock on a file held by
  the system (POSIX). Without it, a lock file made exclusively by the command holding it, and removed after;
  one left by a process that is gone (a crash, a power cut) is stale, and taken over.
- ``nofollow``: a file monthlypost writes is opened without following a symlink planted at its place
  (O_NOFOLLOW, POSIX). Without it, the place is looked at first and a symlink refused: a symlink made in the
  instant between the look and the open is followed, which only a process of the same user could do.

``MONTHLYPOST_FALLBACKS`` names fallbacks to take even where the system has what they stand in for
(``fork,flock,nofollow``, or ``all``): the test suite runs once with every one forced (``.ci/run``), so
that each is known to work before it runs on a Mac or a Windows PC.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

FALLBACKS_VARIABLE = "MONTHLYPOST_FALLBACKS"
FALLBACKS = ("fork", "flock", "nofollow")


def forced(name: str) -> bool:
    """Whether the fallback for ``name`` is taken even where the system has the real thing."""
    assert name in FALLBACKS, name
    given = {part.strip() for part in os.environ.get(FALLBACKS_VARIABLE, "").split(",")}
    return "all" in given or name in given


def can_fork() -> bool:
    """Whether worker processes can be forked from this one (Linux; macOS's fork is unsafe with its system
    libraries loaded, and Windows has none)."""
    return sys.platform.startswith("linux") and not forced("fork")


def file_locks() -> ModuleType | None:
    """fcntl, for flock; None where there is none (Windows) or its fallback is forced."""
    if forced("flock"):
        return None
    try:
        import fcntl
    except ImportError:
        return None
    return fcntl


def no_follow() -> int:
    """os.open's flag that refuses a symlink at the path; 0 where there is none (Windows) or it is forced."""
    return 0 if forced("nofollow") else getattr(os, "O_NOFOLLOW", 0)


def alive(pid: int) -> bool:
    """Whether a process with this id runs now."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":  # pragma: no cover - Windows only
        return _alive_on_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: it runs
        return True
    except OSError:
        return False
    return True


def _alive_on_windows(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
