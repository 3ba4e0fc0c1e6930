"""youtube push and restore: diffs, backups, translated descriptions, and each month's outcome."""

from __future__ import annotations

import datetime
import difflib
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from monthlypost.errors import Problem, StopAll, ValidationError, YouTubeError
from monthlypost.paths import PathError, parse_json, read_bytes, state_folder, write_atomically, write_state
from monthlypost.publish.flow import (
    HOLD,
    UNCHANGED,
    UPDATE,
    Channel,
    Confirm,
    Plan,
    Result,
    Say,
    Stop,
    carry_out,
    publish,
)
from monthlypost.publish.youtube.api import BATCH, Video, YouTube
from monthlypost.publish.youtube.quota import (
    COSTS,
    QUOTA_RESET,
    READ_UNITS,
    THUMBNAIL_UNITS,
    UPDATE_UNITS,
    pacific_now,
)
from monthlypost.published import read_pushed, record_pushed, sha256_bytes
from monthlypost.video import PLACEHOLDER_ID

if TYPE_CHECKING:
    from monthlypost.build import Outcome
    from monthlypost.workspace import Workspace

PUSH_UNITS = READ_UNITS + UPDATE_UNITS  # the read right before an update, and the update
THUMBNAIL = "youtube-thumbnail.jpg"


# --- Diffs, backups and what was pushed ------------------------------------------------------


def description_diff(current: str, new: str, new_name: str, current_name: str = "on YouTube now") -> str:
    lines = difflib.unified_diff(current.splitlines(), new.splitlines(), current_name, new_name, lineterm="")
    return "\n".join(lines)


def backup_folder(state: Path, video_id: str) -> Path:
    return state_folder(state, "youtube-backups", video_id)


def save_backup(state: Path, month: str, video: Video, thumbnail: bytes | None = None) -> Path:
    """The video as it is now (snippet and translations), in a file of its own, before anything changes it;
    with ``thumbnail``, the image YouTube serves as its thumbnail now, in a file beside it (its address alone
    would not do: YouTube serves the new image there once it is replaced)."""
    now = datetime.datetime.now(datetime.UTC)
    path = backup_folder(state, video.id) / f"{now:%Y%m%dT%H%M%S.%fZ}.json"
    record: dict[str, Any] = {"video_id": video.id, "month": month, "saved_at": now.isoformat()}
    record["snippet"] = video.snippet
    if video.localizations:
        record["localizations"] = video.localizations
    if video.thumbnail_url:
        record["thumbnail_url"] = video.thumbnail_url
    if thumbnail is not None:
        image = path.with_suffix(".jpg")
        write_atomically(image, thumbnail, private=True)
        record["thumbnail_file"] = image.name
    write_state(path, record)
    return path


THUMBNAIL_HOSTS = ("ytimg.com", "ggpht.com", "googleusercontent.com")  # where YouTube serves thumbnails from


def download_thumbnail(url: str) -> bytes:
    """The image at a thumbnail address YouTube gave, fetched without the login (it needs none), from YouTube's
    own image hosts only (or the API address the environment names instead of Google's)."""
    import requests

    from monthlypost.publish.youtube.api import API_URL_VARIABLE

    parts, override = urlsplit(url), os.environ.get(API_URL_VARIABLE)
    host = (parts.hostname or "").lower()
    ours = any(host == h or host.endswith("." + h) for h in THUMBNAIL_HOSTS) and parts.scheme == "https"
    if not ours and not (override and urlsplit(override).netloc == parts.netloc):
        raise YouTubeError.at(None, f"YouTube gave a thumbnail address that is not its own ({url})")
    try:
        with requests.get(url, timeout=30, stream=True, allow_redirects=False) as answer:
            answer.raise_for_status()
            data = answer.raw.read(THUMBNAIL_MOST + 1, decode_content=True)
    except (requests.RequestException, OSError) as err:
        raise YouTubeError.at(None, f"could not save a copy of the video's thumbnail now ({url}: {err})") from None
    if len(data) > THUMBNAIL_MOST:
        raise YouTubeError.at(None, f"the video's thumbnail at {url} is larger than any YouTube serves")
    return data


THUMBNAIL_MOST = 2 * 2**20  # YouTube takes no thumbnail over 2 MB


def newest_backup(state: Path, video_id: str) -> Path:
    backups = sorted(backup_folder(state, video_id).glob("*.json"))
    if not backups:
        raise YouTubeError.at(
            backup_folder(state, video_id),
            f"no backups of video {video_id} yet; 'monthlypost youtube push' makes one before each change",
        )
    return backups[-1]


def backup_thumbnail(path: Path, video_id: str) -> bytes:
    """The thumbnail image a backup holds, beside it."""
    record = parse_json(read_bytes(path))
    name = record.get("thumbnail_file") if isinstance(record, dict) else None
    if record.get("video_id") not in (None, video_id) or not isinstance(name, str) or "/" in name or "\\" in name:
        raise YouTubeError.at(path, "holds no copy of the video's thumbnail (only a push with --thumbnail keeps one)")
    return read_bytes(path.parent / name)


def read_backup(path: Path, video_id: str) -> dict[str, Any]:
    data = read_bytes(path)
    try:
        record = parse_json(data)
        snippet = record["snippet"]
        description = snippet["description"]
    except (ValueError, KeyError, TypeError):
        raise YouTubeError.at(path, "not a monthlypost YouTube backup") from None
    if record.get("video_id") not in (None, video_id):
        raise YouTubeError.at(path, f"a backup of video {record['video_id']}, not of {video_id}")
    if not isinstance(description, str):
        raise YouTubeError.at(path, "its description is not text")
    return dict(snippet)


# --- Translations ------------------------------------------------------------------------------


def shared_change(old: str, new: str, translated: str) -> str:
    """The change from ``old`` to ``new`` made to a translation of ``old`` where it holds the same lines
    (contact details, links, the footer); translated prose is left as it is.

    A line of ``old`` that ``new`` edits (the phone number changed, say) is edited the same way wherever
    the translation has it; one ``new`` drops is dropped from it. Lines ``new`` adds go in only where
    their place can be told: after a shared line they follow, or between two edited ones.
    """
    before, after = old.splitlines(), new.splitlines()
    edits: dict[str, str | None] = {}  # a line as it was → what it becomes (None: dropped)
    added: list[tuple[str, list[str]]] = []  # (the line of old they follow, lines added after it)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        pairs = _edited(before[i1:i2], after[j1:j2])
        for i, j in pairs:
            edits[before[i1 + i]] = after[j1 + j]
        for i in set(range(i2 - i1)) - {i for i, _ in pairs}:
            edits.setdefault(before[i1 + i], None)
        for (i, j), (_, following) in itertools.pairwise(pairs):
            if following > j + 1:
                added.append((before[i1 + i], after[j1 + j + 1 : j1 + following]))
        if tag == "insert" and i1 > 0:
            added.append((before[i1 - 1], after[j1:j2]))
    lines = translated.splitlines()
    for anchor, run in added:
        if anchor.strip() and lines.count(anchor) == 1:
            at = lines.index(anchor) + 1
            lines[at:at] = run
    changed = []
    for line in lines:
        becomes = edits.get(line, line) if line.strip() else line
        if becomes is not None:
            changed.append(becomes)
    return "\n".join(changed)


def _edited(old: list[str], new: list[str]) -> list[tuple[int, int]]:
    """In a changed run, the lines of ``new`` that are edits of lines of ``old`` (alike enough), in order."""
    pairs: list[tuple[int, int]] = []
    start = 0
    for i, line in enumerate(old):
        if not line.strip():
            continue
        scores = [(difflib.SequenceMatcher(None, line, new[j]).ratio(), j) for j in range(start, len(new))]
        score, j = max(scores, default=(0.0, 0))
        if score >= ALIKE:
            pairs.append((i, j))
            start = j + 1
    return pairs


ALIKE = 0.6  # how alike two lines must be to count as one edited (difflib's ratio)


def _dropped(old: str, new: str) -> list[str]:
    """The lines of ``old`` that ``new`` no longer has, in order."""
    kept = {line.strip() for line in new.splitlines()}
    return [line.strip() for line in old.splitlines() if line.strip() and line.strip() not in kept]


# --- push and restore ------------------------------------------------------------------------


class ChangedMeanwhile(YouTubeError):
    """The video changed on YouTube between the read shown in the diff and the update."""


@dataclass
class Report:
    results: list[Result]
    units: int  # spent by this run
    stopped: str | None = None  # why some months were left, if they were


@dataclass
class Change:
    month: str
    video: Video
    description: str
    translations: dict[str, str] = field(default_factory=dict)  # language → its description with the change
    thumbnail: bytes | None = None  # a new thumbnail to set
    thumbnail_from: str = ""  # where it comes from, as shown
    publish_at: str | None = None  # with ``schedule``: when the video is to go public (None: not scheduled)
    schedule: bool = False  # whether its schedule is set (or undone) with the rest
    local: str = ""  # publish_at as the author reads it

    @property
    def schedule_changed(self) -> bool:
        return self.schedule and self.publish_at != self.video.publish_at

    @property
    def old(self) -> str:
        return self.video.description

    @property
    def changed(self) -> bool:
        return self.text_changed or self.thumbnail is not None or self.schedule_changed

    @property
    def text_changed(self) -> bool:
        return self.old != self.description or bool(self.translations)

    @property
    def units(self) -> int:
        """What sending it costs: the read right before, the update if the text changed, the thumbnail and a
        read of what the video shows after it."""
        thumbnail = THUMBNAIL_UNITS + READ_UNITS if self.thumbnail is not None else 0
        schedule = UPDATE_UNITS if self.schedule_changed else 0
        return READ_UNITS + (UPDATE_UNITS if self.text_changed else 0) + thumbnail + schedule

    def show(self, say: Say, source: str | None = None) -> None:
        if self.old != self.description:
            say(description_diff(self.old, self.description, source or f"{self.month}/youtube.txt"))
        for language, text in self.translations.items():
            current = str(self.video.localizations[language].get("description", ""))
            say(description_diff(current, text, f"{language}, with the same change", f"{language} on YouTube now"))
        if self.thumbnail is not None:
            now = self.video.thumbnail_url or "none"
            say(f"thumbnail: {now}\n        → {self.thumbnail_from} ({len(self.thumbnail) / 1024:,.0f} KB)")
        if self.schedule_changed:
            was = f"public at {self.video.publish_at}" if self.video.publish_at else "not scheduled"
            will = (
                f"public at {self.publish_at} ({self.local})" if self.publish_at else "not scheduled: it stays private"
            )
            say(f"schedule: {self.video.privacy}, {was}\n        → private, {will}")


def plan(month: str, video: Video, description: str, base: str, localize: bool) -> tuple[Change, list[Problem]]:
    """The change for one video, and a warning if its translations keep lines the description no longer has.

    ``base`` is the description the translations are measured against: the one on
    YouTube, or, once that is already the new one, the one before monthlypost's
    last update (from its backup), so a push with --localizations after a push
    without it still mends them.
    """
    translations: dict[str, str] = {}
    if localize and base != description:
        for language, texts in video.localizations.items():
            current = str(texts.get("description", ""))
            changed = shared_change(base, description, current)
            if changed != current:
                translations[language] = changed
    dropped = _dropped(base, description)
    stale: dict[str, str] = {}  # language → the first dropped line it still holds
    for language, texts in sorted(video.localizations.items()):
        held = {line.strip() for line in translations.get(language, str(texts.get("description", ""))).splitlines()}
        first = next((line for line in dropped if line in held), None)
        if first is not None:
            stale[language] = first
    if not stale:
        return Change(month, video, description, translations), []
    such = f"such as '{next(iter(stale.values()))}'"
    if localize:
        advice = f"that --localizations could not match to lines of the new one ({such}); edit them in YouTube Studio"
    else:
        advice = (
            f"({such}), and viewers in those languages see them; push with --localizations to make the same "
            "change to the lines they share with it, or edit them in YouTube Studio"
        )
    warning = Problem(
        None,
        f"video {video.id}: its descriptions in {', '.join(stale)} still hold lines the description no longer "
        f"has {advice}",
        "warning",
    )
    return Change(month, video, description, translations), [warning]


def previous_description(state: Path, video: Video, description: str) -> str:
    """The description the video's translations were last in step with: the one on YouTube if it is not
    the new one yet, else the one monthlypost's newest backup holds (from before its last update)."""
    if video.description != description or not video.localizations:
        return video.description
    try:
        return str(read_backup(newest_backup(state, video.id), video.id)["description"])
    except (YouTubeError, PathError):
        return video.description


def connect(workspace: Workspace, ignore_quota_block: bool, say: Say) -> YouTube:
    """The client; a quota block from earlier today is lifted if [youtube] daily_quota was raised since."""
    youtube = YouTube(workspace.settings, workspace.state, ignore_quota_block)
    raised = youtube.ledger.raised_since_block()
    if raised is not None:
        before, at = raised
        youtube.ledger.lift()
        say(
            f"[youtube] daily_quota is {youtube.ledger.quota} now, up from {before} when YouTube said at "
            f"{pacific_now(at):%H:%M} Pacific time that the quota was used up, so monthlypost tries again."
        )
    return youtube


def one_month_each(workspace: Workspace, pushing: dict[str, str]) -> None:
    """Stop before anything is sent if a video being pushed is also another month's."""
    from monthlypost.campaign import peek_video
    from monthlypost.sources import TOPIC_NAME

    owners: dict[str, list[str]] = {}
    folders = workspace.months()
    for month, folder in folders.items():
        video_id = pushing.get(month) or peek_video(folder)
        if video_id and video_id != PLACEHOLDER_ID:
            owners.setdefault(video_id, []).append(month)
    problems = [
        Problem(
            folders[month] / TOPIC_NAME,
            f"video: {video_id} is also the video of {', '.join(m for m in owners[video_id] if m != month)}; "
            "a video has one month's description, so nothing was sent. Give each month its own video",
        )
        for month, video_id in pushing.items()
        if len(owners[video_id]) > 1
    ]
    if problems:
        raise ValidationError(problems)


class Descriptions(Channel):
    """The months' descriptions on their videos: a channel of the publishing flow.

    The videos are read 50 at a time, before any month is planned; each is read
    again right before it is updated, and left alone if it changed on YouTube
    since. Every request is counted against the day's quota; a month the quota
    has no room for is left for tomorrow. The quota running out, or the login
    being refused, stops the run.
    """

    name = "YouTube"
    dry = {UPDATE: "would push"}
    reports_builds = True
    done = "pushed"  # a write's status

    def __init__(
        self,
        workspace: Workspace,
        localize: bool,
        ignore_quota_block: bool,
        say: Say,
        thumbnail: bool = False,
        schedule: str | None = None,
    ):
        self.workspace = workspace
        self.localize = localize
        self.thumbnail = thumbnail
        self.schedule = schedule  # "schedule", "unschedule" or None
        self.ignore_quota_block = ignore_quota_block
        self.say = say
        self.youtube: YouTube | None = None
        self.videos: dict[str, Video] = {}
        self.unread: YouTubeError | None = None
        self.left: list[str] = []

    @property
    def spent(self) -> int:
        return self.youtube.spent if self.youtube else 0

    def _stop(self, err: StopAll) -> Stop:
        return Stop(err.problems, sent_nothing=self.spent == 0)

    def prepare(self, outcomes: list[Outcome]) -> None:
        ready = {o.month: str(o.manifest["video_id"]) for o in outcomes}
        if not ready:
            return
        one_month_each(self.workspace, ready)
        for video_id in ready.values():  # where each video's backup will go, checked before anything is read
            backup_folder(self.workspace.state, video_id)
        self.youtube = connect(self.workspace, self.ignore_quota_block, self.say)
        try:
            self.youtube.check_block()
            reads = -(-len(ready) // BATCH)
            if reads * READ_UNITS > self.youtube.ledger.remaining():
                raise StopAll.at(None, _quota_stop(self.youtube, list(ready), reads * READ_UNITS))
            self.videos = self.youtube.videos(list(ready.values()), status=self.schedule is not None)
        except StopAll as err:
            raise self._stop(err) from None
        except YouTubeError as err:  # every month fails with it
            self.unread = err

    def plan(self, outcome: Outcome, say: Say) -> Plan:
        assert self.youtube is not None
        month, video_id = outcome.month, str(outcome.manifest["video_id"])
        description = outcome.files["youtube.txt"].decode("utf-8").rstrip("\n")
        if self.unread is not None:
            raise self.unread
        if video_id not in self.videos:
            raise YouTubeError.at(None, self.youtube.not_found(video_id))
        video = self.videos[video_id]
        base = previous_description(self.workspace.state, video, description)
        change, problems = plan(month, video, description, base, self.localize)
        if self.thumbnail:
            change.thumbnail = self._new_thumbnail(outcome, video)
            change.thumbnail_from = f"{month}/{THUMBNAIL}"
        if self.schedule is not None:
            change.schedule = True
            change.publish_at, change.local = self._moment(month, video)
        if not change.changed:
            return Plan(month, UNCHANGED, problems=problems, data=change)
        if self.youtube.ledger.remaining() < change.units:
            self.left.append(month)
            return Plan(month, HOLD, status="left", problems=problems, data=change)
        shown: list[str] = []
        change.show(shown.append)
        what = " and ".join(
            ["this description"] * change.text_changed
            + ["this thumbnail"] * (change.thumbnail is not None)
            + ["this schedule"] * change.schedule_changed
        )
        question = f"Push {what} to {month}'s video?"
        return Plan(month, UPDATE, show="\n".join(shown), question=question, problems=problems, data=change)

    def _moment(self, month: str, video: Video) -> tuple[str | None, str]:
        """When the video is to go public, in UTC as YouTube takes it and as the author reads it; checked
        first: a video still private (never made private here), and a moment ahead by 15 minutes or more."""
        if video.privacy != "private":
            shown = f"video {video.id} is {video.privacy or 'not private'}"
            if self.schedule == "unschedule":
                raise YouTubeError.at(None, f"{shown}: it is not scheduled, so there is nothing to undo")
            raise YouTubeError.at(
                None,
                f"{shown} already, and monthlypost never makes a video private again, so it cannot be "
                "scheduled (to schedule it, make it private in YouTube Studio first)",
            )
        if self.schedule == "unschedule":
            return None, ""
        from monthlypost.moments import to_schedule, utc

        _, when = to_schedule(self.workspace, month, "video")
        return utc(when), f"{when:%Y-%m-%d %H:%M} {self.workspace.settings.author.timezone}"

    def _new_thumbnail(self, outcome: Outcome, video: Video) -> bytes | None:
        """The month's youtube-thumbnail.jpg, unless it is the one last set and the video still shows that."""
        image = outcome.files.get(THUMBNAIL)
        if image is None:
            raise YouTubeError.at(
                self.workspace.months()[outcome.month],
                f"--thumbnail: {outcome.month} has no thumbnail of its own to set; put the video's thumbnail "
                "(1280×720, JPEG or PNG) in its folder as thumbnail.jpg, or leave out --thumbnail",
            )
        last = read_pushed(self.workspace.state).get(outcome.month) or {}
        if last.get("thumbnail_sha256") == sha256_bytes(image) and last.get("thumbnail_url") == video.thumbnail_url:
            return None
        return image

    def unchanged(self, plan: Plan, dry_run: bool) -> Result:
        change = plan.data
        record_pushed(self.workspace.state, plan.month, change.video.id, change.description)
        return Result(plan.month, "unchanged", list(plan.problems))

    def write(self, plan: Plan) -> Result:
        assert self.youtube is not None
        try:
            status, units, problems = _send(self.youtube, self.workspace.state, plan.data, self.done)
        except StopAll as err:
            raise self._stop(err) from None
        return Result(plan.month, status, problems, units=units)

    def note(self, results: list[Result]) -> str | None:
        if not self.left or self.youtube is None:
            return None
        per_month = PUSH_UNITS + (THUMBNAIL_UNITS + READ_UNITS if self.thumbnail else 0)
        return _quota_stop(self.youtube, self.left, len(self.left) * per_month)


def push(
    workspace: Workspace,
    months: list[str],
    dry_run: bool,
    confirm: Confirm,
    say: Say,
    done: Callable[[Result], None],
    localize: bool = False,
    ignore_quota_block: bool = False,
    thumbnail: bool = False,
    schedule: str | None = None,
) -> Report:
    """Put each month's youtube.txt on its video, building stale months first (see :class:`Descriptions`);
    with ``thumbnail``, its youtube-thumbnail.jpg too; with ``schedule``, its publish_at ("schedule") or no
    moment at all ("unschedule")."""
    channel = Descriptions(workspace, localize, ignore_quota_block, say, thumbnail, schedule)
    try:
        results, stopped = publish(workspace, months, channel, dry_run, confirm, say, done)
    except Stop as err:  # nothing was sent (not logged in, the quota blocked): the error says it all
        raise StopAll(err.problems) from None
    return Report(results, channel.spent, stopped)


def _send(youtube: YouTube, state: Path, change: Change, status: str) -> tuple[str, int, list[Problem]]:
    """Replace the description; the month's status, the units it spent, and what went wrong."""
    before = youtube.spent
    try:
        replace_description(youtube, state, change)
    except StopAll:
        raise
    except ChangedMeanwhile as err:
        return "changed", youtube.spent - before, err.problems
    except YouTubeError as err:
        return "failed", youtube.spent - before, err.problems
    return status, youtube.spent - before, []


MOVED = {  # the fields an update sends back, as a user knows them
    "title": "title",
    "description": "description",
    "categoryId": "category",
    "tags": "tags",
    "defaultLanguage": "language",
    "defaultAudioLanguage": "audio language",
}


def replace_description(youtube: YouTube, state: Path, change: Change) -> None:
    """Read the video again (1 unit); if anything the update sends back changed on YouTube since the
    read the diff was made from, stop. Otherwise back up that read (and the thumbnail YouTube serves now, when
    it is to be replaced), update, and record what is there now."""
    now = youtube.video(change.video.id, status=change.schedule)
    moved = [name for key, name in MOVED.items() if now.snippet.get(key) != change.video.snippet.get(key)]
    if change.schedule and (now.privacy, now.publish_at) != (change.video.privacy, change.video.publish_at):
        moved.append("visibility or schedule")
    if change.translations and now.localizations != change.video.localizations:
        moved.append("translations")
    if change.thumbnail is not None and now.thumbnail_url != change.video.thumbnail_url:
        moved.append("thumbnail")
    if moved:
        raise ChangedMeanwhile.at(
            None,
            f"video {now.id}: its {', '.join(moved)} changed on YouTube (in YouTube Studio, say) since monthlypost "
            "read it; nothing was sent, so that change stays. Push again to see the difference from the video "
            "as it is now",
        )
    current = download_thumbnail(now.thumbnail_url) if change.thumbnail is not None and now.thumbnail_url else None
    save_backup(state, change.month, now, current)
    if change.thumbnail is not None:  # first: it is what YouTube refuses most (an unverified channel)
        youtube.set_thumbnail(now.id, change.thumbnail)
        after = youtube.video(now.id).thumbnail_url  # 1 unit: what the video shows now, to tell a later change
        record_pushed(
            state,
            change.month,
            now.id,
            now.description,
            thumbnail_sha256=sha256_bytes(change.thumbnail),
            thumbnail_url=after,
        )
    if now.description != change.description or change.translations:
        try:
            youtube.update(now, change.description, change.translations)
        except YouTubeError as err:
            if change.thumbnail is None or isinstance(err, StopAll):
                raise
            said = Problem(None, "the thumbnail was set; the description was not")
            raise YouTubeError([*err.problems, said]) from None
    record_pushed(state, change.month, now.id, change.description)
    if change.schedule_changed:
        try:
            youtube.schedule(now, change.publish_at)
        except YouTubeError as err:
            if isinstance(err, StopAll) or not (change.text_changed or change.thumbnail is not None):
                raise
            said = Problem(None, "the rest was sent; the schedule was not")
            raise YouTubeError([*err.problems, said]) from None
        record_pushed(state, change.month, now.id, change.description, publish_at=change.publish_at or None)


class Restoring(Descriptions):
    """A backup's description put back on the month's video."""

    dry = {UPDATE: "would restore"}
    done = "restored"

    def plan_restore(self, month: str, backup: Path | None) -> Plan:
        """The description in the backup put back; with --thumbnail, the thumbnail image it holds too."""
        from monthlypost.campaign import read_campaign
        from monthlypost.errors import Problems

        problems = Problems()
        campaign = read_campaign(month, self.workspace.month_files(month), problems)
        if campaign is None:
            raise ValidationError(problems.errors)
        video_id = campaign.video_id
        path = backup or newest_backup(self.workspace.state, video_id)
        saved = read_backup(path, video_id)
        self.youtube = connect(self.workspace, self.ignore_quota_block, self.say)
        image = backup_thumbnail(path, video_id) if self.thumbnail else None
        try:
            self.youtube.check_block()
            change = Change(month, self.youtube.video(video_id), str(saved["description"]), thumbnail=image)
        except StopAll as err:
            raise self._stop(err) from None
        change.thumbnail_from = f"the copy kept with {path.name}"
        if not change.changed:
            return Plan(month, UNCHANGED, data=change)
        shown = (
            [description_diff(change.old, change.description, str(path))] if change.old != change.description else []
        )
        change.show(lambda line: shown.append(line) if line.startswith("thumbnail:") else None)
        what = "this description" + (" and thumbnail" if image is not None else "")
        question = f"Restore {what} to {month}'s video?"
        return Plan(month, UPDATE, show="\n".join(shown), question=question, data=change)

    def unchanged(self, plan: Plan, dry_run: bool) -> Result:
        return Result(plan.month, "unchanged")


def restore(
    workspace: Workspace,
    month: str,
    backup: Path | None,
    confirm: Confirm,
    say: Say,
    done: Callable[[Result], None],
    ignore_quota_block: bool = False,
    thumbnail: bool = False,
) -> Report:
    """Put back the description from a backup (the newest by default), backing up the current one first;
    with ``thumbnail``, the thumbnail the backup holds a copy of too."""
    channel = Restoring(workspace, False, ignore_quota_block, say, thumbnail)
    try:
        result = carry_out(channel, month, lambda say: channel.plan_restore(month, backup), False, confirm, say)
    except Stop as err:
        if err.sent_nothing:
            raise StopAll(err.problems) from None
        result = Result(month, "stopped")
        done(result)
        return Report([result], channel.spent, str(err))
    done(result)
    return Report([result], channel.spent)


def _quota_stop(youtube: YouTube, months: list[str], needed: int) -> str:
    left = youtube.ledger.remaining()
    them = "it" if len(months) == 1 else "them"
    return (
        f"stopped before YouTube's daily quota runs out: {left} of {youtube.ledger.quota} units are left today, "
        f"and {', '.join(months)} would need {needed} more; nothing was sent for {them}. "
        f"Run the same command after {QUOTA_RESET} ({COSTS}), or, if Google has raised the project's quota, "
        "set [youtube] daily_quota to it"
    )
