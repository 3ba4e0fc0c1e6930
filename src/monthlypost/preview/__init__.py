"""monthlypost preview: the month as its readers will see it, in a browser, rebuilt as its files change.

The month is rendered in memory (dist/ is written only by ``build``) and
served from there on 127.0.0.1 with the standard library's HTTP server; a
watcher (watchfiles) rebuilds it when the month's folder, the workspace's
templates or monthlypost.toml change, one rebuild at a time, rapid saves
taken together, and open pages reload themselves through server-sent events.
A build error replaces the page with its Error: lines until it is fixed.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monthlypost.errors import MonthlypostError, Problem
from monthlypost.outputs import IMAGES

PORTS_TRIED = 20  # the asked-for port, else the next free one of these


@dataclass
class Snapshot:
    """One build of the month, as the preview serves it."""

    version: int
    month: str
    files: dict[str, bytes] = field(default_factory=dict)  # what it built: served under /out/
    problems: list[Problem] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # what the page shows beside the outputs

    @property
    def ok(self) -> bool:
        return bool(self.files)


def build_snapshot(
    root: Path, month: str, version: int, images: dict[str, tuple[dict[str, bytes], dict[str, str]]] | None = None
) -> Snapshot:
    """The month rendered from scratch (settings, templates and files read afresh), or its errors.

    ``images``: the images of earlier snapshots by their key (see build.image_key), to be taken as they are
    when a save changed nothing they show; this one's are added.
    """
    from monthlypost.build import render_month
    from monthlypost.video import youtube_hashtags
    from monthlypost.workspace import Workspace

    snapshot = Snapshot(version, month)
    try:
        workspace = Workspace(root)
        rendered = render_month(workspace, month, images=images.get if images is not None else None)
    except MonthlypostError as err:
        snapshot.problems = err.problems
        return snapshot
    snapshot.problems = list(rendered.problems)
    if not rendered.ok or rendered.campaign is None:
        return snapshot
    campaign, settings = rendered.campaign, workspace.settings
    if images is not None:  # the last one's only: a title typed letter by letter is not kept letter by letter
        images.clear()
        kept = {n: d for n, d in rendered.files.items() if n in IMAGES}
        images[rendered.manifest["image_key"]] = kept, {n: rendered.manifest["files"][n] for n in kept}
    snapshot.files = served(rendered.files, settings.blog.file_url(campaign.slug, month, "."))
    every, above = youtube_hashtags(campaign.title, rendered.files["youtube.txt"].decode("utf-8"))
    snapshot.facts = {
        "title": campaign.title,
        "subject": campaign.subject,
        "preheader": campaign.preheader,
        "from_name": settings.from_name,
        "from_address": settings.from_address,
        "chapters": [(c.timestamp, c.label) for c in campaign.chapters],
        "hashtags": every,
        "hashtags_above": above,
        "video_url": rendered.manifest["video_url"],
        "summary": campaign.topic.summary,
        "share_size": "1200×630",
        "share_host": urlsplit(settings.blog.post_url(campaign.slug, month) or "").hostname,
    }
    return snapshot


def served(files: dict[str, bytes], beside: str | None) -> dict[str, bytes]:
    """The outputs as the preview serves them: in post.html and the email, the addresses the month's own files
    will have beside the published post (its images: not there before it is published) lead to the preview's
    copies, so the email shows its picture now."""
    if not beside:
        return files
    pages = ("post.html", "newsletter.html")
    own = sorted((name for name in files if name not in pages), key=len, reverse=True)
    changed = dict(files)
    for page in pages:
        data = files[page]
        for name in own:
            data = data.replace(f'"{beside}{name}"'.encode(), f'"/out/{name}"'.encode())
        changed[page] = data
    return changed


TICK_MS = 250  # how often the watcher, with nothing changed, says it is watching
# A save is rebuilt once no other has come for this long: an editor's save (a temporary file written, renamed,
# its mode set) takes a millisecond or two, so a burst of them is one change, and the rebuild starts at once.
QUIET_MS = 8
# Saves still coming while a rebuild runs make it stale: it is dropped for a rebuild of the newest files, but
# never for longer than this, so that a file saved without pause (a tool's log) still shows.
STALE_MOST_S = 1.0


class Preview:
    """The month's newest snapshot, rebuilt on demand; waiters are told when it changes."""

    def __init__(self, root: Path, month: str):
        self.root = root
        self.month = month
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.watching = threading.Event()  # set once every watched folder is watched (see watch)
        self._images: dict[str, tuple[dict[str, bytes], dict[str, str]]] = {}
        self.snapshot = build_snapshot(root, month, 1, self._images)
        self._building = threading.Lock()
        self._due = threading.Condition()  # a save since the last rebuild began (see watch)
        self._saved = False

    def rebuild(self, stale: Callable[[], bool] = lambda: False) -> Snapshot | None:
        """The month built afresh and served; None, serving nothing, if ``stale()`` says files were saved
        meanwhile (its caller then rebuilds again)."""
        with self._building:  # one rebuild at a time
            snapshot = build_snapshot(self.root, self.month, self.snapshot.version + 1, self._images)
            if stale():
                return None
            with self.changed:
                self.snapshot = snapshot
                self.changed.notify_all()
        return snapshot

    def saved(self) -> None:
        """Files the month is built from were saved: a rebuild is due."""
        with self._due:
            self._saved = True
            self._due.notify_all()

    def _rebuild_when_saved(self, on_rebuild: Callable[[Snapshot], None]) -> None:
        """Rebuild each time files are saved, until stopped. A rebuild during which more saves came is dropped
        (it shows files that are no longer the newest) and started again from them; only whole builds are
        ever served, each of one moment's files."""
        import time

        while True:
            with self._due:
                self._due.wait_for(lambda: self._saved or self.stopping.is_set())
                if self.stopping.is_set():
                    return
                self._saved = False
            started = time.monotonic()

            def stale(started: float = started) -> bool:
                return self._saved and time.monotonic() - started < STALE_MOST_S

            while True:
                snapshot = self.rebuild(stale)
                if snapshot is not None:
                    on_rebuild(snapshot)
                    break
                with self._due:
                    self._saved = False

    def wait_for_change(self, version: int, timeout: float) -> int:
        """The snapshot's version once it is newer than ``version``, or after ``timeout`` seconds."""
        with self.changed:
            self.changed.wait_for(lambda: self.snapshot.version != version or self.stopping.is_set(), timeout)
            return self.snapshot.version

    def stop(self) -> None:
        self.stopping.set()
        for condition in (self.changed, self._due):
            with condition:
                condition.notify_all()

    def watched(self) -> Callable[[Any, str], bool]:
        """Which changed paths call for a rebuild: the month's folder, templates/ and monthlypost.toml."""
        from monthlypost.layout import CAMPAIGNS, CONFIG_NAME

        settings = str(self.root / CONFIG_NAME)
        campaigns = str(self.root / CAMPAIGNS)
        templates = str(self.root / "templates")

        def wanted(change: Any, path: str) -> bool:
            if path in (settings, templates) or path.startswith(templates + "/"):
                return True
            if path.startswith(campaigns + "/"):
                return self._is_month(path[len(campaigns) + 1 :].split("/", 1)[0])
            return False  # dist/, .monthlypost/ (the template cache), other months

        return wanted

    def folders(self) -> set[str]:
        """What to watch, each folder on its own: the workspace's top (monthlypost.toml, and templates/ or
        campaigns/ coming or going), campaigns/ (the month's folder coming or going), and templates/ and
        the month's folder with every folder in them. Folders linked from there are not followed and
        unreadable ones are passed over: nothing but the workspace's own files is watched."""
        from monthlypost.layout import CAMPAIGNS

        campaigns = self.root / CAMPAIGNS
        tops = [self.root / "templates"]
        with contextlib.suppress(OSError):  # no campaigns/ (yet), or not one that can be read
            tops += [campaigns / name for name in os.listdir(campaigns) if self._is_month(name)]
        found = {str(self.root), str(campaigns)}
        for top in tops:
            found.update(folder for folder, _, _ in os.walk(top))  # links not followed, unreadable ones left out
        return {folder for folder in found if _readable(folder)}

    def _is_month(self, name: str) -> bool:
        """Whether a folder in campaigns/ is this month's: YYYY-MM or YYYY-MM-slug."""
        return name == self.month or name.startswith(self.month + "-")

    def watch(self, on_rebuild: Callable[[Snapshot], None], on_failure: Callable[[str], None]) -> None:
        """Rebuild whenever a watched file changes, until stopped (runs in its own thread).

        The folders watched are looked at again after each change; when they
        are others (a folder made, removed or renamed), watching starts again
        with them, and the month is rebuilt once more for what changed in
        between. If the watcher itself fails (the system's limit on watched
        folders reached, say), ``on_failure`` is told why and the page stays
        served as it is.
        """
        threading.Thread(target=self._rebuild_when_saved, args=(on_rebuild,), daemon=True).start()
        self._watch(on_failure)  # the rebuilds go on until stopped, for the saves it saw before any failure

    def _watch(self, on_failure: Callable[[str], None]) -> None:
        import watchfiles

        folders = self.folders()
        due = False  # a rebuild as soon as the watcher is watching: for what changed while it was not
        while not self.stopping.is_set():
            changes = watchfiles.watch(
                *sorted(folders),
                watch_filter=self.watched(),
                step=QUIET_MS,  # saves this close together are one change
                debounce=1000,
                stop_event=self.stopping,
                raise_interrupt=False,
                recursive=False,
                rust_timeout=TICK_MS,
                yield_on_timeout=True,  # an empty tick: the watcher is watching (and nothing changed)
            )
            while True:
                try:
                    found = next(changes)
                except StopIteration:  # stopped
                    return
                except (OSError, RuntimeError) as err:  # what watchfiles raises for the system's refusals
                    if isinstance(err, FileNotFoundError) and self.folders() != folders:
                        folders, due = self.folders(), True  # a folder went between looking and watching
                        break
                    on_failure(
                        f"cannot watch the workspace for changes ({err}); the page is still served, "
                        "but no longer rebuilt when you save: restart the preview"
                    )
                    return
                self.watching.set()
                if not found and not due:
                    continue
                now = self.folders()
                if now != folders:  # a folder made, removed or renamed: watched afresh, and then rebuilt
                    self.watching.clear()
                    folders, due = now, True
                    changes.close()
                    break
                due = False
                self.saved()


def _readable(folder: str) -> bool:
    try:
        os.scandir(folder).close()
    except OSError:
        return False
    return True


def serve(
    root: Path, month: str, port: int, open_browser: bool, say: Callable[[str], None]
) -> None:  # pragma: no cover - the CLI's loop; tests drive Preview and the server directly
    """Run the preview until Ctrl-C."""
    from monthlypost.preview.server import start

    preview = Preview(root, month)
    server = start(preview, port)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        say(f"Previewing {month} at {url} (Ctrl-C stops it)")
        report(preview.snapshot, say)
        watcher = threading.Thread(
            target=preview.watch, args=(lambda s: report(s, say), lambda why: say(f"Error: {why}")), daemon=True
        )
        watcher.start()
        if open_browser:
            import webbrowser

            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        # Waking now and then, so that Ctrl-C is seen even when the system hands it to another thread.
        while not preview.stopping.wait(0.5):
            pass
    finally:
        preview.stop()
        server.shutdown()
        server.server_close()


def report(snapshot: Snapshot, say: Callable[[str], None]) -> None:
    errors = [p for p in snapshot.problems if p.severity == "error"]
    if snapshot.ok:
        say(
            f"{snapshot.month}: built in memory"
            + (f" ({len(snapshot.problems)} warnings)" if snapshot.problems else "")
        )
    else:
        say(f"{snapshot.month}: {len(errors)} error{'s' if len(errors) != 1 else ''}; the page shows them")
