"""The YouTube Data API: log in, read a video's snippet, back it up, update its description, restore.

Google's libraries are imported inside the functions that use them, so
nothing but the `youtube` commands pays for them. Google's errors are
translated here, at the edge, into :class:`YouTubeError` messages that say
what to do.
"""

from __future__ import annotations

import datetime
import difflib
import json
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monthlypost.config import Settings
from monthlypost.errors import Problem, ValidationError, YouTubeError
from monthlypost.paths import PathError, kind, read_bytes, read_state, write_atomically, write_state
from monthlypost.published import record_pushed

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials
    from googleapiclient.errors import HttpError

    from monthlypost.workspace import Workspace

SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
TOKEN_VARIABLE = "MONTHLYPOST_YOUTUBE_TOKEN"
API_URL_VARIABLE = "MONTHLYPOST_YOUTUBE_API_URL"
READ_UNITS = 1  # videos.list, channels.list
UPDATE_UNITS = 50  # videos.update
RETRIES = 5  # server errors, 429 and rate limits, with exponential backoff
LOGIN_TIMEOUT_SECONDS = 300
# Every snippet field an update must carry again: one left out is deleted on YouTube.
KEPT_FIELDS = ("title", "categoryId", "tags", "defaultLanguage", "defaultAudioLanguage")
QUOTA_RESET = "midnight Pacific time"
UNREADABLE = "nothing was changed; try again later, and if it goes on, run with --debug and report it"
COSTS = f"a read costs {READ_UNITS} unit, an update {UPDATE_UNITS}"
RELOGIN = "run 'monthlypost youtube login' again"
TESTING_EXPIRY = (
    "(while the OAuth app's publishing status is 'Testing', Google ends logins after 7 days; "
    "publish the app in the Google Cloud console to keep them)"
)


class StopAll(YouTubeError):
    """An error no other month would escape either: the quota is spent, or the login is refused."""


# --- Where things are kept ---------------------------------------------------------------


def token_path(settings: Settings) -> Path:
    """MONTHLYPOST_YOUTUBE_TOKEN, else [youtube] token_file, else the user config folder."""
    if os.environ.get(TOKEN_VARIABLE):
        return Path(os.environ[TOKEN_VARIABLE]).expanduser()
    if settings.youtube.token_file:
        return settings.resolve(settings.youtube.token_file)
    import click

    return Path(click.get_app_dir("monthlypost")) / "youtube-token.json"


def save_login(path: Path, token_json: str) -> None:
    """The login, mode 0600 (folders made for it 0700; existing ones untouched), replacing only a saved login.

    The path can come from monthlypost.toml, so a file there that is not a
    saved login (a workspace naming ~/.bashrc, say) is never overwritten.
    """
    if kind(path) != "missing" and _saved_login(path) is None:
        raise YouTubeError.at(
            path,
            "exists and is not a saved YouTube login, so it was left alone; "
            f"point [youtube] token_file or {TOKEN_VARIABLE} at a new file",
        )
    write_atomically(path, token_json.encode("utf-8"), private=True)


def _saved_login(path: Path) -> dict[str, Any] | None:
    """The authorized-user JSON in ``path``, or None if the file is something else."""
    try:
        info = json.loads(read_bytes(path).decode("utf-8"))
    except (PathError, ValueError):
        return None
    return info if isinstance(info, dict) and "refresh_token" in info else None


# --- Logging in ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return int(s.getsockname()[1])


def login(settings: Settings, secrets: Path, open_browser: bool, port: int, say: Callable[[str], None]) -> Path:
    """Google's installed-app flow; the token is saved as authorized-user JSON. Returns where."""
    if kind(secrets) == "missing":
        raise YouTubeError.at(
            secrets,
            "not found. Create one: in the Google Cloud console, enable the YouTube Data API v3, then under "
            "APIs & Services → Credentials create an OAuth client ID of type 'Desktop app', download its JSON "
            "and save it here (or point [youtube] client_secrets or --client-secrets at it)",
        )
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        client = json.loads(read_bytes(secrets).decode("utf-8"))
        flow = InstalledAppFlow.from_client_config(client, scopes=[SCOPE])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise YouTubeError.at(
            secrets, "not an OAuth client file for a desktop app; download it again from the Google Cloud console"
        ) from None
    if open_browser and not _browser_available():
        say("No web browser found here, so open the address below yourself.")
        open_browser = False
    if open_browser:
        prompt = "Your browser should open to Google's sign-in. If it does not, open this address:\n\n    {url}\n"
    else:
        prompt = (
            "Open this address in a browser and sign in with the account that owns the channel:\n\n    {url}\n\n"
            f"If this machine is not the one with the browser, first forward the port from your own computer:\n"
            f"    ssh -L {port}:localhost:{port} USER@THIS-MACHINE\n"
            "then open the address there. Waiting for Google to send you back…"
        )
    from google_auth_oauthlib.flow import WSGITimeoutError
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    try:
        credentials = flow.run_local_server(
            host="localhost",
            port=port,
            open_browser=open_browser,
            authorization_prompt_message=prompt,
            success_message="monthlypost is logged in to YouTube. You can close this window.",
            timeout_seconds=LOGIN_TIMEOUT_SECONDS,
            prompt="consent",
        )
    except WSGITimeoutError:
        raise YouTubeError.at(
            None, f"no answer from the browser within {LOGIN_TIMEOUT_SECONDS // 60} minutes; {RELOGIN}"
        ) from None
    except OAuth2Error as err:
        raise YouTubeError.at(secrets, f"Google refused the login: {err.description or err.error}") from None
    except OSError as err:
        raise YouTubeError.at(
            None, f"cannot listen on localhost:{port} for Google's answer: {err.strerror or err}"
        ) from None
    path = token_path(settings)
    save_login(path, credentials.to_json())
    return path


def _browser_available() -> bool:
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def credentials(settings: Settings) -> Credentials:
    """The saved login, refreshed (and saved back) when it has expired."""
    from google.auth.exceptions import RefreshError, TransportError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    path = token_path(settings)
    if kind(path) == "missing":
        raise StopAll.at(path, "not logged in to YouTube yet; run 'monthlypost youtube login'")
    read_bytes(path)  # an unreadable file, or a folder, says so
    info = _saved_login(path)
    try:
        if info is None:
            raise ValueError("no refresh_token")
        creds = Credentials.from_authorized_user_info(info, [SCOPE])
    except (ValueError, TypeError, AttributeError):
        raise StopAll.at(path, f"not a saved YouTube login; {RELOGIN}") from None
    if creds.valid:
        return creds
    try:
        creds.refresh(Request())
    except RefreshError as err:
        reason = str(err.args[0]) if err.args else str(err)
        if "invalid_grant" in reason:
            raise StopAll.at(
                path, f"the YouTube login has expired or was revoked; {RELOGIN} {TESTING_EXPIRY}"
            ) from None
        raise StopAll.at(path, f"Google refused to renew the YouTube login ({reason}); {RELOGIN}") from None
    except TransportError as err:
        raise StopAll.at(path, f"cannot reach Google to renew the YouTube login: {err}") from None
    save_login(path, creds.to_json())
    return creds


# --- The API -----------------------------------------------------------------------------


@dataclass
class Ledger:
    """Units spent today (YouTube's day ends at midnight Pacific time), kept in .monthlypost/."""

    path: Path
    quota: int

    @staticmethod
    def today() -> str:
        try:
            from zoneinfo import ZoneInfo

            pacific: datetime.tzinfo = ZoneInfo("America/Los_Angeles")
        except (ImportError, KeyError, OSError):  # no time zone database: Pacific standard time
            pacific = datetime.timezone(datetime.timedelta(hours=-8))
        return datetime.datetime.now(pacific).date().isoformat()

    def used(self) -> int:
        data = read_state(self.path)
        units = data.get("units", 0)
        if not isinstance(units, int) or isinstance(units, bool) or not isinstance(data.get("day", ""), str):
            raise YouTubeError.at(
                self.path, "damaged: not what monthlypost wrote there; delete it and monthlypost will start it afresh"
            )
        return units if data.get("day") == self.today() else 0

    def remaining(self) -> int:
        return max(0, self.quota - self.used())

    def spend(self, units: int) -> None:
        write_state(self.path, {"day": self.today(), "units": self.used() + units})

    def exhaust(self) -> None:
        """YouTube said the quota is spent: believe it until the day ends."""
        self.spend(self.remaining())


class YouTube:
    """An authorised client for one workspace, counting the units it spends."""

    def __init__(self, settings: Settings, state: Path):
        self.settings = settings
        self.state = state
        self.ledger = Ledger(state / "youtube-quota.json", settings.youtube.daily_quota)
        self.spent = 0
        self._service: Any = None

    @property
    def service(self) -> Any:
        if self._service is None:
            import google_auth_httplib2
            import httplib2
            from googleapiclient.discovery import build

            # credentials() has renewed the login already; a 401 after that means log in again
            http = google_auth_httplib2.AuthorizedHttp(
                credentials(self.settings), http=httplib2.Http(timeout=60), refresh_status_codes=()
            )
            options = {"api_endpoint": os.environ[API_URL_VARIABLE]} if os.environ.get(API_URL_VARIABLE) else None
            self._service = build(
                "youtube", "v3", http=http, static_discovery=True, cache_discovery=False, client_options=options
            )
        return self._service

    def _call(self, request: Any, units: int, video_id: str | None = None) -> Any:
        from google.auth.exceptions import GoogleAuthError
        from googleapiclient.errors import HttpError
        from httplib2 import HttpLib2Error

        try:
            return request.execute(num_retries=RETRIES)
        except HttpError as err:
            raise self._translate(err, video_id) from None
        except GoogleAuthError as err:
            raise StopAll.at(
                token_path(self.settings), f"the YouTube login could not be renewed ({err}); {RELOGIN}"
            ) from None
        except (OSError, HttpLib2Error) as err:
            raise StopAll.at(None, f"cannot reach the YouTube API: {err}") from None
        except (AttributeError, TypeError, KeyError) as err:
            # googleapiclient's HttpError trips over some error bodies while describing them
            if not any("googleapiclient" in frame.filename for frame in traceback.extract_tb(err.__traceback__)[-1:]):
                raise
            raise YouTubeError.at(
                None, f"the YouTube API answered with an error it did not explain ({UNREADABLE})"
            ) from None
        finally:
            self.spent += units
            self.ledger.spend(units)

    def snippet(self, video_id: str) -> dict[str, Any]:
        """The video's current snippet (videos.list, part snippet: 1 unit)."""
        request = self.service.videos().list(part="snippet", id=video_id)
        items = _items(self._call(request, READ_UNITS, video_id))
        if not items:
            raise YouTubeError.at(
                None,
                f"video {video_id} was not found: it does not exist, or is private to another account "
                f"({self._who()}); check video in topic.toml",
            )
        snippet = items[0].get("snippet")
        if not isinstance(snippet, dict) or not isinstance(snippet.get("title"), str):
            raise YouTubeError.at(None, f"the YouTube API answered in a form monthlypost does not know ({UNREADABLE})")
        return dict(snippet)

    def update_description(self, video_id: str, current: dict[str, Any], description: str) -> None:
        """videos.update (part snippet, 50 units) with every mutable field as it was and the new description."""
        snippet = {key: current[key] for key in KEPT_FIELDS if key in current}
        if "categoryId" not in snippet and self.settings.youtube.category_id:
            snippet["categoryId"] = self.settings.youtube.category_id
        snippet["description"] = description
        request = self.service.videos().update(part="snippet", body={"id": video_id, "snippet": snippet})
        self._call(request, UPDATE_UNITS, video_id)

    def channel_title(self) -> str | None:
        """The logged-in channel's name (channels.list mine: 1 unit); None for an account without a channel."""
        items = _items(self._call(self.service.channels().list(part="snippet", mine=True), READ_UNITS))
        snippet = items[0].get("snippet") if items else None
        return str(snippet.get("title", "")) if isinstance(snippet, dict) else None

    def _who(self) -> str:
        try:
            title = self.channel_title()
        except YouTubeError:
            return "the logged-in channel could not be read"
        return f"logged in as the channel '{title}'" if title else "logged in with an account that has no channel"

    def _translate(self, err: HttpError, video_id: str | None) -> YouTubeError:
        """Google's HttpError as one of ours, saying what to do."""
        status = int(err.resp.status)
        reason, message = _reason(err)
        video = f"video {video_id}" if video_id else "the video"
        if reason in ("quotaExceeded", "dailyLimitExceeded"):
            self.ledger.exhaust()
            return StopAll.at(
                None,
                f"YouTube's daily API quota is used up; it resets at {QUOTA_RESET} ({COSTS}). "
                "Nothing more was sent; run the same command again after the reset",
            )
        if status == 401:
            return StopAll.at(token_path(self.settings), f"YouTube refused the login (401: {message}); {RELOGIN}")
        if status == 403 and reason in ("forbidden", "insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"):
            return YouTubeError.at(
                None,
                f"YouTube will not let this login change {video} ({self._who()}): it must be on that "
                f"channel. Check video in topic.toml, or {RELOGIN} with the channel's account",
            )
        if status == 404 or reason == "videoNotFound":
            return YouTubeError.at(None, f"{video} was not found on YouTube; check video in topic.toml")
        if reason in ("invalidDescription", "invalidTitle", "invalidCategoryId", "invalidVideoMetadata"):
            return YouTubeError.at(None, f"YouTube refused the update to {video} ({reason}: {message})")
        return YouTubeError.at(None, f"the YouTube API answered {status} {reason or ''}: {message}".replace("  ", " "))


def _items(response: Any) -> list[dict[str, Any]]:
    """A list response's items; a reply of another shape is an error, not a crash."""
    items = response.get("items", []) if isinstance(response, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise YouTubeError.at(None, f"the YouTube API answered in a form monthlypost does not know ({UNREADABLE})")
    return items


def _reason(err: HttpError) -> tuple[str, str]:
    """The first error reason and message in Google's JSON error body."""
    fallback = str(getattr(err, "reason", "") or getattr(err.resp, "reason", "") or "no reason given")
    try:
        body = json.loads(err.content.decode("utf-8")).get("error")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return "", fallback
    if isinstance(body, str):  # OAuth-style: {"error": "invalid_grant", "error_description": "…"}
        return body, fallback
    if not isinstance(body, dict):
        return "", fallback
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    reason = first.get("reason") or ""
    message = body.get("message") or first.get("message") or fallback
    return str(reason), str(message)


# --- Diffs, backups and what was pushed ------------------------------------------------------


def description_diff(current: str, new: str, new_name: str) -> str:
    lines = difflib.unified_diff(current.splitlines(), new.splitlines(), "on YouTube now", new_name, lineterm="")
    return "\n".join(lines)


def backup_folder(state: Path, video_id: str) -> Path:
    return state / "youtube-backups" / video_id


def save_backup(state: Path, video_id: str, month: str, snippet: dict[str, Any]) -> Path:
    """The video's snippet as it is now, in a file of its own, before anything changes it."""
    now = datetime.datetime.now(datetime.UTC)
    folder = backup_folder(state, video_id)
    path = folder / f"{now:%Y%m%dT%H%M%S.%fZ}.json"
    record = {"video_id": video_id, "month": month, "saved_at": now.isoformat(), "snippet": snippet}
    write_state(path, record)
    return path


def newest_backup(state: Path, video_id: str) -> Path:
    backups = sorted(backup_folder(state, video_id).glob("*.json"))
    if not backups:
        raise YouTubeError.at(
            backup_folder(state, video_id),
            f"no backups of video {video_id} yet; 'monthlypost youtube push' makes one before each change",
        )
    return backups[-1]


def read_backup(path: Path, video_id: str) -> dict[str, Any]:
    data = read_bytes(path)
    try:
        record = json.loads(data.decode("utf-8"))
        snippet = record["snippet"]
        description = snippet["description"]
    except (ValueError, KeyError, TypeError):
        raise YouTubeError.at(path, "not a monthlypost YouTube backup") from None
    if record.get("video_id") not in (None, video_id):
        raise YouTubeError.at(path, f"a backup of video {record['video_id']}, not of {video_id}")
    if not isinstance(description, str):
        raise YouTubeError.at(path, "its description is not text")
    return dict(snippet)


# --- push and restore ------------------------------------------------------------------------

Confirm = Callable[[str], bool]  # (month) → go ahead?
Say = Callable[[str], None]


@dataclass
class Result:
    """One month's line: what happened and the units it spent."""

    month: str
    status: str  # built | pushed | unchanged | would push | skipped | left | failed | restored
    units: int = 0
    problems: list[Problem] = field(default_factory=list)


class Results(list[Result]):
    """The months' results, each passed on (to be printed) the moment it is known."""

    def __init__(self, done: Callable[[Result], None]):
        super().__init__()
        self.done = done

    def append(self, result: Result) -> None:
        super().append(result)
        self.done(result)


@dataclass
class Report:
    results: list[Result]
    units: int  # spent by this run
    stopped: str | None = None  # why some months were left, if they were


@dataclass
class Change:
    month: str
    video_id: str
    current: dict[str, Any]
    description: str

    @property
    def old(self) -> str:
        return str(self.current.get("description", ""))

    @property
    def changed(self) -> bool:
        return self.old != self.description


def push(
    workspace: Workspace,
    months: list[str],
    dry_run: bool,
    confirm: Confirm,
    say: Say,
    done: Callable[[Result], None],
) -> Report:
    """Put each month's youtube.txt on its video, building stale months first.

    A month with check errors is neither read nor sent. Every video is read
    before anything is written, so the units the updates will cost are known:
    pushing stops before the day's quota would run out, and says which
    months are left.
    """
    from monthlypost.build import build

    results = Results(done)
    ready: list[tuple[str, str, str]] = []  # month, video id, description
    warnings: dict[str, list[Problem]] = {}  # an up-to-date month's, shown with its result
    for outcome in build(workspace, months):
        if outcome.status == "up to date":
            warnings[outcome.month] = list(outcome.problems)
        else:
            results.append(Result(outcome.month, outcome.status, 0, list(outcome.problems)))
        if outcome.status == "failed":
            continue
        description = outcome.files["youtube.txt"].decode("utf-8").rstrip("\n")
        ready.append((outcome.month, str(outcome.manifest["video_id"]), description))

    def result(month: str, status: str, units: int, problems: list[Problem] | None = None) -> None:
        results.append(Result(month, status, units, [*warnings.pop(month, []), *(problems or [])]))

    youtube = YouTube(workspace.settings, workspace.state)
    if not ready:
        return Report(results, 0)
    if len(ready) * READ_UNITS > youtube.ledger.remaining():
        raise StopAll.at(None, _quota_stop(youtube, [month for month, _, _ in ready], READ_UNITS))

    changes: list[Change] = []
    for month, video_id, description in ready:
        before = youtube.spent
        try:
            current = youtube.snippet(video_id)
        except StopAll:
            raise
        except YouTubeError as err:
            result(month, "failed", youtube.spent - before, err.problems)
            continue
        changes.append(Change(month, video_id, current, description))

    to_update = [c for c in changes if c.changed]
    left = [] if dry_run else to_update[youtube.ledger.remaining() // UPDATE_UNITS :]
    for change in changes:
        if not change.changed:
            record_pushed(workspace.state, change.month, change.video_id, change.description)
            result(change.month, "unchanged", READ_UNITS)
        elif change in left:
            result(change.month, "left", READ_UNITS)
        else:
            say(description_diff(change.old, change.description, f"{change.month}/youtube.txt"))
            if dry_run:
                result(change.month, "would push", READ_UNITS)
            elif not confirm(change.month):
                result(change.month, "skipped", READ_UNITS)
            else:
                replace_description(youtube, workspace.state, change)
                result(change.month, "pushed", READ_UNITS + UPDATE_UNITS)
    stopped = _quota_stop(youtube, [c.month for c in left], UPDATE_UNITS) if left else None
    return Report(results, youtube.spent, stopped)


def replace_description(youtube: YouTube, state: Path, change: Change) -> None:
    """Back up the snippet as it is, then update the description; record what is on YouTube now."""
    save_backup(state, change.video_id, change.month, change.current)
    youtube.update_description(change.video_id, change.current, change.description)
    record_pushed(state, change.month, change.video_id, change.description)


def restore(
    workspace: Workspace,
    month: str,
    backup: Path | None,
    confirm: Confirm,
    say: Say,
    done: Callable[[Result], None],
) -> Report:
    """Put back the description from a backup (the newest by default), backing up the current one first."""
    from monthlypost.campaign import read_campaign
    from monthlypost.errors import Problems

    problems = Problems()
    campaign = read_campaign(month, workspace.month_files(month), problems)
    if campaign is None:
        raise ValidationError(problems.errors)
    video_id = campaign.video_id
    path = backup or newest_backup(workspace.state, video_id)
    saved = read_backup(path, video_id)
    youtube = YouTube(workspace.settings, workspace.state)
    change = Change(month, video_id, youtube.snippet(video_id), str(saved["description"]))
    results = Results(done)
    if not change.changed:
        results.append(Result(month, "unchanged", READ_UNITS))
        return Report(results, youtube.spent)
    say(description_diff(change.old, change.description, str(path)))
    if not confirm(month):
        results.append(Result(month, "skipped", READ_UNITS))
    else:
        replace_description(youtube, workspace.state, change)
        results.append(Result(month, "restored", READ_UNITS + UPDATE_UNITS))
    return Report(results, youtube.spent)


def _quota_stop(youtube: YouTube, months: list[str], units_each: int) -> str:
    left = youtube.ledger.remaining()
    return (
        f"stopped before YouTube's daily quota runs out: {left} of {youtube.ledger.quota} units are left today "
        f"and each of {', '.join(months)} needs {units_each} more; nothing was sent for "
        f"{'it' if len(months) == 1 else 'them'}. Run the same command after {QUOTA_RESET} ({COSTS})"
    )
