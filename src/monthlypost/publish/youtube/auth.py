"""Logging in to YouTube with Google's installed-app flow, and the saved login."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monthlypost.config import Settings
from monthlypost.errors import StopAll, YouTubeError
from monthlypost.layout import CAMPAIGNS, DIST
from monthlypost.paths import PathError, kind, parse_json, read_bytes, resolve, write_atomically

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
TOKEN_VARIABLE = "MONTHLYPOST_YOUTUBE_TOKEN"
LOGIN_TIMEOUT_SECONDS = 300
RELOGIN = "run 'monthlypost youtube login' again"
SHARED_FOLDERS = (DIST, CAMPAIGNS, "templates")  # published, or kept and shared with the months
TESTING_EXPIRY = (
    "(while the OAuth app's publishing status is 'Testing', Google ends logins after 7 days; "
    "publish the app in the Google Cloud console to keep them)"
)


# --- Where things are kept ---------------------------------------------------------------


def token_path(settings: Settings) -> Path:
    """MONTHLYPOST_YOUTUBE_TOKEN, else [youtube] token_file, else the user config folder."""
    if os.environ.get(TOKEN_VARIABLE):
        return Path(os.environ[TOKEN_VARIABLE]).expanduser()
    if settings.youtube.token_file:
        path = settings.resolve(settings.youtube.token_file)
        where = resolve(path)
        for name in SHARED_FOLDERS:
            if where.is_relative_to(resolve(settings.root / name)):
                raise YouTubeError.at(
                    settings.path,
                    f"[youtube] token_file: '{settings.youtube.token_file}' is inside {name}/, which is published "
                    "or shared; keep the YouTube login elsewhere (without token_file it is kept in your user "
                    "config folder)",
                )
        return path
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
        info = parse_json(read_bytes(path))
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
    path = token_path(settings)  # a place it may not go is said before the user signs in
    if kind(secrets) == "missing":
        raise YouTubeError.at(
            secrets,
            "not found. Create one: in the Google Cloud console, enable the YouTube Data API v3, then under "
            "APIs & Services → Credentials create an OAuth client ID of type 'Desktop app', download its JSON "
            "and save it here (or point [youtube] client_secrets or --client-secrets at it)",
        )
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        client = parse_json(read_bytes(secrets))
        flow = InstalledAppFlow.from_client_config(client, scopes=[SCOPE])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise YouTubeError.at(
            secrets, "not an OAuth client file for a desktop app; download it again from the Google Cloud console"
        ) from None
    if open_browser and not _display():
        say("No display here, so open the address below in a browser yourself.")
        open_browser = False
    elif open_browser and not _browser_available():
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
    save_login(path, credentials.to_json())
    return path


def _display() -> bool:
    """Whether a graphical browser could show here. Without one, Python's webbrowser picks a text
    browser (w3m, lynx) that takes over the terminal and waits, so the address is printed instead."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


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
    except RecursionError:  # google-auth reads the answer with json.loads, and catches only ValueError
        raise StopAll.at(
            path, "Google's answer to renewing the YouTube login could not be read (nested too deeply)"
        ) from None
    save_login(path, creds.to_json())
    return creds
