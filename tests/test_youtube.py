"""youtube login, push and restore: the real Google client against a fake API on 127.0.0.1 (SPEC §6)."""

from __future__ import annotations

import datetime
import json
import os
import re
import ssl
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

from . import fake_youtube
from .conftest import DEEP, at_a_terminal, edit, publish_at, run, snapshot
from .fake_youtube import ACCESS_TOKEN, REFRESH_TOKEN, FakeGoogle

VIDEO = "hipPain2404"
SNIPPET = {
    "publishedAt": "2024-04-01T09:00:00Z",
    "channelId": "UC_livepainfree",
    "channelTitle": "Live Pain Free",
    "title": "Why Your Hip Pain Keeps Coming Back | Live Pain Free",
    "description": "Old description.\n\nCall me!",
    "categoryId": "26",
    "tags": ["hip pain", "piriformis"],
    "defaultLanguage": "en",
    "defaultAudioLanguage": "en-US",
    "thumbnails": {"default": {"url": "https://i.ytimg.com/vi/hipPain2404/default.jpg"}},
}
SECRETS = (ACCESS_TOKEN, REFRESH_TOKEN, "client-secret-SECRET")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    authority = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, path


@pytest.fixture
def token_server(ca, monkeypatch):
    """Google's token endpoint, over HTTPS as oauthlib insists, with a certificate the client trusts.

    google-auth renews a saved login only at Google's own token address, whatever the file says (so a
    tampered file cannot send the refresh token elsewhere); that address is pointed here for the test.
    """
    import google.oauth2.credentials

    authority, path = ca
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(tls)
    server = FakeGoogle().start(tls)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(path))
    monkeypatch.setattr(google.oauth2.credentials, "_GOOGLE_OAUTH2_TOKEN_ENDPOINT", server.url + "token")
    yield server
    server.stop()


def write_token(path: Path, token_uri: str, expired: bool = False) -> None:
    expiry = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(hours=-1 if expired else 1)
    path.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "123.apps.googleusercontent.com",
                "client_secret": "client-secret-SECRET",
                "refresh_token": REFRESH_TOKEN,
                "token": ACCESS_TOKEN,
                "token_uri": token_uri,
                "expiry": expiry.isoformat() + "Z",
                "scopes": ["https://www.googleapis.com/auth/youtube.force-ssl"],
            }
        )
    )
    path.chmod(0o600)


@pytest.fixture
def api(example, tmp_path, monkeypatch):
    """The fake API with the example's video on it, a valid login, and the client pointed at both."""
    fake = FakeGoogle(videos={VIDEO: dict(SNIPPET)}).start()
    token = tmp_path / "token.json"
    write_token(token, "https://127.0.0.1:9/token")  # valid, so never refreshed in these tests
    monkeypatch.setenv("MONTHLYPOST_YOUTUBE_API_URL", fake.url)
    monkeypatch.setenv("MONTHLYPOST_YOUTUBE_TOKEN", str(token))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield fake
    fake.stop()


def description(root: Path) -> str:
    return (root / "dist/2024-04/youtube.txt").read_text().rstrip("\n")


def backups(root: Path) -> list[Path]:
    return sorted((root / ".monthlypost/youtube-backups" / VIDEO).glob("*.json"))


def no_secrets(*outputs: str) -> bool:
    return not any(secret in output for secret in SECRETS for output in outputs)


# --- push ----------------------------------------------------------------------------------


def test_push_updates_only_the_description_and_keeps_every_other_field(example, api):
    backup_existed_at_update = []
    api.on_update = lambda: backup_existed_at_update.append(bool(backups(example)))

    result = run("youtube", "push", "2024-04", "--yes")

    assert result.exit_code == 0, result.output
    assert "2024-04: pushed (51 units)" in result.stdout  # read again right before the update, and the update
    assert "YouTube API units: 52 this time, 52 of 10000 today" in result.stdout
    read, again = api.seen("GET")
    assert read.query == again.query == {"part": "snippet,localizations", "id": VIDEO, "alt": "json"}
    assert read.authorization == f"Bearer {ACCESS_TOKEN}"
    (update,) = api.seen("PUT")
    assert update.query == {"part": "snippet", "alt": "json"}
    assert update.body == {
        "id": VIDEO,
        "snippet": {
            "title": SNIPPET["title"],
            "categoryId": "26",
            "tags": ["hip pain", "piriformis"],
            "defaultLanguage": "en",
            "defaultAudioLanguage": "en-US",
            "description": description(example),
        },
    }
    assert backup_existed_at_update == [True]
    (saved,) = backups(example)
    record = json.loads(saved.read_text())
    assert record["video_id"] == VIDEO and record["month"] == "2024-04"
    assert record["snippet"] == SNIPPET
    assert api.videos[VIDEO]["tags"] == ["hip pain", "piriformis"]  # nothing was lost on YouTube
    assert no_secrets(result.output)


def test_push_shows_the_diff(example, api):
    result = run("youtube", "push", "--yes")
    assert "--- on YouTube now\n+++ 2024-04/youtube.txt\n" in result.stdout
    assert "-Old description." in result.stdout
    assert "+The back-burner reasons your hip pain keeps coming back" in result.stdout


def test_the_diff_shows_what_youtube_holds_without_letting_it_steer_the_terminal(example, api):
    api.videos[VIDEO]["description"] = "Old \x1b]0;pwned\x07description.\x1b[2J Call me!"
    result = run("youtube", "push", "--dry-run")
    assert "-Old \\x1b]0;pwned\\x07description.\\x1b[2J Call me!\n" in result.stdout
    assert "\x1b" not in result.stdout


def test_an_unchanged_description_sends_no_update(example, api):
    run("build")
    api.videos[VIDEO]["description"] = description(example)
    result = run("youtube", "push", "2024-04")
    assert result.exit_code == 0, result.output
    assert "2024-04: unchanged, nothing sent\n" in result.stdout
    assert "YouTube API units: 1 this time" in result.stdout
    assert api.seen("PUT") == [] and backups(example) == []


def test_dry_run_reads_and_shows_but_sends_nothing(example, api):
    result = run("youtube", "push", "2024-04", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "-Old description." in result.stdout
    assert "2024-04: would push (dry run: nothing sent)\n" in result.stdout
    assert "YouTube API units: 1 this time" in result.stdout
    assert len(api.seen("GET")) == 1 and api.seen("PUT") == []
    assert backups(example) == []
    assert api.videos[VIDEO] == SNIPPET


def test_no_terminal_and_no_yes_sends_nothing(example, api):
    result = run("youtube", "push", "2024-04")
    assert result.exit_code == 1
    assert "no terminal to ask on, so nothing was sent; rerun with --yes" in result.stderr
    assert api.seen("PUT") == [] and backups(example) == []


@pytest.mark.parametrize("answer, pushed", [("n", False), ("y", True)])
def test_at_a_terminal_it_asks_first(example, api, answer, pushed):
    out = at_a_terminal(example, "youtube", "push", "2024-04", answer=answer)
    assert "Push this description to 2024-04's video? [y/N]" in out
    assert ("2024-04: pushed (51 units)" in out) is pushed
    assert ("2024-04: not pushed (you said no)" in out) is not pushed
    assert len(api.seen("PUT")) == int(pushed)


def test_a_month_with_check_errors_is_neither_read_nor_sent(example, api):
    edit(example / "campaigns/2024-04/topic.toml", 'title = "Why', 'title = "<Why')
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert "Error: campaigns/2024-04/topic.toml: title: must not contain < or >" in result.stderr
    assert "2024-04: failed, nothing sent" in result.stderr
    assert api.requests == []


def test_a_stale_month_is_built_first(example, api):
    result = run("youtube", "push", "--yes")
    assert result.stdout.startswith("2024-04: built\n--- on YouTube now")
    run("build")
    edit(example / "campaigns/2024-04/topic.toml", "The back-burner reasons", "The hidden reasons")
    run("youtube", "push", "--yes")
    assert api.seen("PUT")[-1].body["snippet"]["description"].startswith("The hidden reasons")


def test_a_server_error_is_retried(example, api):
    api.fail("GET", "/youtube/v3/videos", 500, "backendError")
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    assert len(api.seen("GET")) == 3  # the read, its retry, and the read right before the update
    assert len(api.seen("PUT")) == 1


def test_a_video_that_is_not_found(example, api):
    api.videos.clear()
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert (
        f"Error: video {VIDEO} was not found: it does not exist, or is private to another account "
        "(logged in as the channel 'Live Pain Free'); check video in topic.toml"
    ) in result.stderr
    assert "2024-04: failed, nothing sent\n" in result.stderr
    assert "YouTube API units: 2 this time" in result.stdout  # the video, then the channel
    assert api.seen("PUT") == []


def test_a_video_on_another_channel(example, api):
    api.not_ours.add(VIDEO)
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert (
        f"YouTube will not let this login change video {VIDEO} (logged in as the channel 'Live Pain Free')"
    ) in result.stderr
    assert api.videos[VIDEO] == SNIPPET


def test_youtube_refusing_the_description(example, api):
    api.fail(
        "PUT",
        "/youtube/v3/videos",
        400,
        "invalidDescription",
        message="The request metadata specifies an invalid video description.",
    )
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert f"YouTube refused the new description of video {VIDEO} (invalidDescription: " in result.stderr


def test_no_login_gives_the_login_hint(example, api, tmp_path, monkeypatch):
    monkeypatch.setenv("MONTHLYPOST_YOUTUBE_TOKEN", str(tmp_path / "nowhere.json"))
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"Error: {tmp_path / 'nowhere.json'}: not logged in to YouTube yet; run 'monthlypost youtube login'\n"
    )
    assert api.requests == []


def test_an_expired_login_is_renewed_and_saved(example, api, token_server, tmp_path):
    token = tmp_path / "token.json"
    write_token(token, token_server.url + "token", expired=True)
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    (grant,) = token_server.token_grants
    assert grant["grant_type"] == "refresh_token" and grant["refresh_token"] == REFRESH_TOKEN
    saved = json.loads(token.read_text())
    assert saved["token"] == ACCESS_TOKEN and saved["refresh_token"] == REFRESH_TOKEN
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert no_secrets(result.output)


def test_a_revoked_login_says_to_log_in_again(example, api, token_server, tmp_path):
    token_server.revoked = True
    write_token(tmp_path / "token.json", token_server.url + "token", expired=True)
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert "the YouTube login has expired or was revoked; run 'monthlypost youtube login' again" in result.stderr
    assert "Google ends logins after 7 days" in result.stderr
    assert api.requests == []


def test_list_shows_a_pushed_month(example, api):
    run("youtube", "push", "2024-04", "--yes")
    assert run("list").stdout == "2024-04  pushed     Why Your Hip Pain Keeps Coming Back\n"
    edit(example / "campaigns/2024-04/topic.toml", "The back-burner reasons", "The hidden reasons")
    assert run("list").stdout.split()[1] == "stale"


# --- push --all and the quota ------------------------------------------------------------


def add_month(root: Path, month: str, video: str) -> None:
    folder = root / "campaigns" / month
    folder.mkdir()
    topic = (root / "campaigns/2024-04/topic.toml").read_text().replace("hipPain2404", video)
    topic = topic.replace('title = "', f'title = "{month}: ', 1)  # a title, and so a slug, of its own
    (folder / "topic.toml").write_text(topic.replace("The back-burner", f"In {month}, the back-burner"))
    (folder / "script.md").write_text("A month's text.\n")


def test_push_all_updates_only_the_changed_descriptions(example, api):
    add_month(example, "2024-05", "kneePain245")
    add_month(example, "2024-06", "backPain246")
    run("build", "--all")
    api.videos["kneePain245"] = {
        **SNIPPET,
        "description": (example / "dist/2024-05/youtube.txt").read_text().rstrip("\n"),
    }
    api.videos["backPain246"] = dict(SNIPPET)
    result = run("youtube", "push", "--all", "--yes")
    assert result.exit_code == 0, result.output
    assert [line for line in result.stdout.splitlines() if line.startswith("2024-")] == [
        "2024-04: pushed (51 units)",
        "2024-05: unchanged, nothing sent",
        "2024-06: pushed (51 units)",
    ]
    assert [r.body["id"] for r in api.seen("PUT")] == [VIDEO, "backPain246"]


def test_push_all_stops_before_the_days_quota(example, api):
    add_month(example, "2024-05", "kneePain245")
    add_month(example, "2024-06", "backPain246")
    api.videos["kneePain245"] = dict(SNIPPET)
    api.videos["backPain246"] = dict(SNIPPET)
    edit(example / "monthlypost.toml", 'hashtags = ["LivePainFree"]', 'hashtags = ["LivePainFree"]\ndaily_quota = 100')
    result = run("youtube", "push", "--all", "--yes")
    assert result.exit_code == 1
    assert "2024-04: pushed (51 units)" in result.stdout
    assert "pushed 1, unchanged 0, failed 0, left for the quota 2\n" in result.stdout
    assert "2024-05: not pushed (quota)\n" in result.stdout
    assert "2024-06: not pushed (quota)\n" in result.stdout
    assert "YouTube API units: 52 this time, 52 of 100 today" in result.stdout
    assert (
        "Error: stopped before YouTube's daily quota runs out: 48 of 100 units are left today, and 2024-05, "
        "2024-06 would need 102 more; nothing was sent for them. Run the same command after midnight Pacific time "
        "(a read costs 1 unit, an update 50, a thumbnail 50), or, if Google has raised the project's quota, "
        "set [youtube] daily_quota to it\n"
    ) in result.stderr
    assert [r.body["id"] for r in api.seen("PUT")] == [VIDEO]


# --- restore ----------------------------------------------------------------------------------


def test_restore_puts_back_the_newest_backup_after_backing_up_the_current_one(example, api):
    run("youtube", "push", "2024-04", "--yes")
    pushed = api.videos[VIDEO]["description"]
    result = run("youtube", "restore", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    assert "2024-04: restored (51 units)" in result.stdout
    assert api.seen("PUT")[-1].body["snippet"]["description"] == SNIPPET["description"]
    assert api.videos[VIDEO]["tags"] == SNIPPET["tags"]
    first, second = backups(example)
    assert json.loads(second.read_text())["snippet"]["description"] == pushed


def test_restore_a_chosen_backup(example, api):
    run("youtube", "push", "2024-04", "--yes")
    (original,) = backups(example)
    run("youtube", "restore", "2024-04", "--yes")  # back to the original
    edit(example / "campaigns/2024-04/topic.toml", "The back-burner reasons", "The hidden reasons")
    run("youtube", "push", "2024-04", "--yes")
    result = run("youtube", "restore", "2024-04", "--backup", str(original), "--yes")
    assert result.exit_code == 0, result.output
    assert api.videos[VIDEO]["description"] == SNIPPET["description"]


def test_restore_without_backups(example, api):
    result = run("youtube", "restore", "2024-04", "--yes")
    assert result.exit_code == 1
    assert f"no backups of video {VIDEO} yet; 'monthlypost youtube push' makes one before each change" in result.stderr


def test_restore_asks_first(example, api):
    run("youtube", "push", "2024-04", "--yes")
    before = snapshot(example / ".monthlypost/youtube-backups")
    result = run("youtube", "restore", "2024-04")
    assert result.exit_code == 1
    assert "no terminal to ask on, so nothing was sent; rerun with --yes to restore" in result.stderr
    assert snapshot(example / ".monthlypost/youtube-backups") == before


# --- login --------------------------------------------------------------------------------------


def log_in(root: Path, token_server, tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    """monthlypost youtube login, with Google's consent page played by a request to the address it prints.

    Returns its stdout, its stderr and its exit code.
    """
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "123.apps.googleusercontent.com",
                    "client_secret": "client-secret-SECRET",
                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                    "token_uri": token_server.url + "token",
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    with subprocess.Popen(
        [sys.executable, "-m", "monthlypost", "youtube", "login", *args, "--client-secrets", str(secrets)],
        cwd=root,
        env=env or dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as login:
        try:
            shown = ""
            while not (address := re.search(r"https://accounts\.google\.com/\S+", shown)):
                line = login.stdout.readline()
                assert line, login.stderr.read()
                shown += line
            asked = {k: v[0] for k, v in parse_qs(urlsplit(address.group(0)).query).items()}
            assert asked["scope"] == "https://www.googleapis.com/auth/youtube.force-ssl"
            assert asked["access_type"] == "offline"
            # the browser, after Google's consent page, comes back with a code
            back = f"{asked['redirect_uri']}?state={asked['state']}&code=4/granted-code&scope={asked['scope']}"
            with urllib.request.urlopen(back, timeout=30) as answer:
                assert b"logged in to YouTube" in answer.read()
            login.wait(timeout=60)
            out, err = login.stdout.read(), login.stderr.read()  # after what readline() buffered
        finally:
            login.kill()
    return shown + out, err, login.returncode


def test_login_saves_the_token_privately(example, api, token_server, ca, tmp_path):
    token = tmp_path / "config" / "monthlypost" / "youtube-token.json"
    env = {**os.environ, "MONTHLYPOST_YOUTUBE_TOKEN": str(token)}
    out, err, code = log_in(example, token_server, tmp_path, "--no-browser", env=env)
    assert code == 0, err
    port = re.search(r"ssh -L (\d+):localhost:(\d+) ", out).group(1)
    assert f"redirect_uri=http%3A%2F%2Flocalhost%3A{port}" in out
    assert "YouTube channel: Live Pain Free" in out
    (grant,) = token_server.token_grants
    assert grant["grant_type"] == "authorization_code" and grant["code"] == "4/granted-code"
    saved = json.loads(token.read_text())
    assert saved["refresh_token"] == REFRESH_TOKEN and saved["token"] == ACCESS_TOKEN
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert stat.S_IMODE(token.parent.stat().st_mode) == 0o700
    assert no_secrets(out + err)


def test_login_with_no_display_prints_the_address_instead_of_opening_a_text_browser(
    example, api, token_server, ca, tmp_path
):
    opened = tmp_path / "text-browser-opened"
    browser = tmp_path / "w3m"
    browser.write_text(f'#!/bin/sh\necho "$@" > {opened}\n')
    browser.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(BROWSER=str(browser), MONTHLYPOST_YOUTUBE_TOKEN=str(tmp_path / "token.json"))
    out, err, code = log_in(example, token_server, tmp_path, env=env)
    assert code == 0, err
    assert out.startswith("No display here, so open the address below in a browser yourself.\n")
    assert "ssh -L " in out
    assert not opened.exists()


def test_login_without_client_secrets_says_how_to_make_them(example, api):
    result = run("youtube", "login", "--no-browser")
    assert result.exit_code == 1
    assert (
        "client_secret.json: not found. Create one: in the Google Cloud console, enable the YouTube Data API v3"
        in result.stderr
    )
    assert "OAuth client ID of type 'Desktop app'" in result.stderr


# --- Odd replies, damaged logins and state ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": "invalid_request"}',
        b'{"error": {"errors": "not a list", "message": 7}}',
        b'{"error": {"errors": [1, 2]}}',
        b"[]",
        b"null",
        b"<html><body>Bad gateway</body></html>",
        b"\xff\xfe not text",
        b"",
        DEEP,
    ],
)
def test_an_api_error_of_any_shape_is_a_clean_error(example, api, body):
    api.fail_raw("GET", "/youtube/v3/videos", 400, body)
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert "Error: the YouTube API answered" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "saved, says",
    [
        ("[]", "not a saved YouTube login; run 'monthlypost youtube login' again"),
        ('{"refresh_token": 5}', "not a saved YouTube login"),
        ("not json", "not a saved YouTube login"),
        (DEEP.decode(), "not a saved YouTube login"),
        (None, "cannot be read: it is a folder, not a file"),
    ],
)
def test_a_damaged_login_is_a_clean_error(example, api, tmp_path, monkeypatch, saved, says):
    token = tmp_path / "damaged-token.json"
    if saved is None:
        token.mkdir()
    else:
        token.write_text(saved)
    monkeypatch.setenv("MONTHLYPOST_YOUTUBE_TOKEN", str(token))
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert f"Error: {token}: {says}" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert api.requests == []


def test_an_answer_nested_too_deeply_to_read_is_a_clean_error(example, api):
    api.fail_raw("GET", "/youtube/v3/videos", 200, DEEP)
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert "Error: the YouTube API answered" in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_a_renewal_answer_nested_too_deeply_to_read_is_a_clean_error(example, api, token_server, tmp_path):
    token = tmp_path / "token.json"
    write_token(token, token_server.url + "token", expired=True)
    token_server.fail_raw("POST", "/token", 200, DEEP)
    before = token.read_bytes()
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert f"Error: {token}: Google's answer to renewing the YouTube login could not be read" in result.stderr
    assert "Traceback" not in result.output
    assert token.read_bytes() == before and api.seen("PUT") == []


def test_a_backup_nested_too_deeply_to_read_is_a_clean_error(example, api):
    run("youtube", "push", "2024-04", "--yes")
    (backup,) = backups(example)
    backup.write_bytes(DEEP)
    result = run("youtube", "restore", "2024-04", "--yes")
    assert result.exit_code == 1
    assert f"Error: .monthlypost/youtube-backups/{VIDEO}/{backup.name}: not a monthlypost YouTube backup" in (
        result.stderr
    )
    assert "Traceback" not in result.output
    assert len(api.seen("PUT")) == 1  # the push's, and no other


def test_a_client_file_nested_too_deeply_to_read_is_a_clean_error(example, api):
    (example / "client_secret.json").write_bytes(DEEP)
    result = run("youtube", "login", "--no-browser")
    assert result.exit_code == 1
    assert "Error: client_secret.json: not an OAuth client file for a desktop app" in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_renewing_a_login_changes_no_folder_it_did_not_create(example, api, token_server, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    token = shared / "token.json"
    write_token(token, token_server.url + "token", expired=True)
    monkeypatch.setenv("MONTHLYPOST_YOUTUBE_TOKEN", str(token))
    assert run("youtube", "push", "2024-04", "--yes").exit_code == 0
    assert json.loads(token.read_text())["token"] == ACCESS_TOKEN  # renewed and saved
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert [p.name for p in shared.iterdir()] == ["token.json"]  # no staging file left


def test_a_token_file_setting_never_overwrites_a_file_that_is_not_a_login(example, api, token_server, monkeypatch):
    notes = example / "notes.txt"
    notes.write_text("my notes\n")
    edit(example / "monthlypost.toml", 'category_id = "26"', 'category_id = "26"\ntoken_file = "notes.txt"')
    monkeypatch.delenv("MONTHLYPOST_YOUTUBE_TOKEN")
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert "notes.txt: not a saved YouTube login" in result.stderr
    assert notes.read_text() == "my notes\n"


def test_a_read_only_state_folder_is_a_clean_error(example, api):
    from .conftest import run_as_user

    state = example / ".monthlypost"
    state.mkdir()
    run("build", "2024-04")
    state.chmod(0o555)
    try:
        result = run_as_user("youtube", "push", "2024-04", "--yes")
    finally:
        state.chmod(0o755)
    assert result.returncode == 1
    assert "Error: .monthlypost/youtube-quota.json: cannot be written: permission denied" in result.stderr
    assert "Traceback" not in result.stderr


# --- Edits made on YouTube while monthlypost waits ---------------------------------------------


def change_on_the_second_read(api, video: str, **fields) -> None:
    """Change the video on YouTube (as in Studio) after monthlypost's first read, before the read before its update."""
    reads = []

    def hook(seen):
        if seen.method == "GET" and seen.path == "/youtube/v3/videos" and video in seen.ids:
            reads.append(seen)
            if len(reads) == 2:
                api.videos[video].update(fields)

    api.on_request = hook


def test_an_edit_made_on_youtube_while_the_prompt_is_open_is_never_reverted(example, api):
    change_on_the_second_read(api, VIDEO, title="A better title", tags=["hip pain", "piriformis", "new tag"])
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert (
        f"Error: video {VIDEO}: its title, tags changed on YouTube (in YouTube Studio, say) since monthlypost read "
        "it; nothing was sent, so that change stays. Push again to see the difference from the video as it is now"
    ) in result.stderr
    assert "2024-04: not pushed (changed on YouTube meanwhile) (1 unit)" in result.stderr
    assert api.seen("PUT") == []
    assert api.videos[VIDEO]["title"] == "A better title"
    assert api.videos[VIDEO]["tags"] == ["hip pain", "piriformis", "new tag"]
    # pushed again, it shows the diff against the video as it is now, and keeps the new title and tags
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    assert api.seen("PUT")[-1].body["snippet"]["title"] == "A better title"
    assert api.videos[VIDEO]["tags"] == ["hip pain", "piriformis", "new tag"]


def test_the_backup_is_the_read_made_right_before_the_update(example, api):
    thumbnails = {"default": {"url": "https://i.ytimg.com/vi/hipPain2404/new.jpg"}}
    change_on_the_second_read(api, VIDEO, thumbnails=thumbnails)  # read-only: the update does not send it
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    (saved,) = backups(example)
    assert json.loads(saved.read_text())["snippet"]["thumbnails"] == thumbnails


def test_an_edit_made_at_the_terminal_prompt_is_never_reverted(example, api):
    """The same at a real terminal: the title is changed while monthlypost waits for the answer."""

    def retitle() -> None:
        api.videos[VIDEO]["title"] = "Retitled in Studio"

    out = at_a_terminal(example, "youtube", "push", "2024-04", answer="y", before_answering=retitle)
    assert "2024-04: not pushed (changed on YouTube meanwhile)" in out
    assert f"video {VIDEO}: its title changed on YouTube" in out
    assert api.seen("PUT") == []
    assert api.videos[VIDEO]["title"] == "Retitled in Studio"


# --- One month's failure is its own ------------------------------------------------------------


def months_with_videos(root: Path, api, count: int, start: int = 5) -> list[tuple[str, str]]:
    """``count`` more months after 2024-04, each with its own video on the fake (old description)."""
    made = []
    for n in range(count):
        year, month = divmod(start - 1 + n, 12)
        name, video = f"{2024 + year}-{month + 1:02d}", f"video{n:06d}"
        add_month(root, name, video)
        api.videos[video] = dict(SNIPPET)
        made.append((name, video))
    return made


def test_a_failed_update_does_not_stop_the_months_after_it(example, api):
    (_, middle), (_, last) = months_with_videos(example, api, 2)
    api.not_ours.add(middle)
    result = run("youtube", "push", "--all", "--yes")
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.startswith("2024-") and "built" not in line] == [
        "2024-04: pushed (51 units)",
        "2024-05: failed, nothing sent (52 units)",  # and 1 to say which channel this login is
        "2024-06: pushed (51 units)",
    ]
    assert f"YouTube will not let this login change video {middle}" in result.stderr
    assert "YouTube API units: 155 this time" in result.stdout  # one read for all three, then 51 each, and 1
    assert [r.body["id"] for r in api.seen("PUT")] == [VIDEO, middle, last]
    assert api.videos[last]["description"] != SNIPPET["description"]


def test_a_bulk_push_over_ten_videos_survives_a_forbidden_one_and_one_changed_meanwhile(example, api):
    months = months_with_videos(example, api, 9)
    forbidden, changed = months[2][1], months[6][1]
    api.not_ours.add(forbidden)
    change_on_the_second_read(api, changed, title="Renamed in Studio", categoryId="27")
    result = run("youtube", "push", "--all", "--yes")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if re.match(r"20\d\d-\d\d: (?!built)", line)]
    assert len(lines) == 10
    assert sum(line.endswith(": pushed (51 units)") for line in lines) == 8
    assert f"{months[2][0]}: failed, nothing sent (52 units)" in lines
    assert f"{months[6][0]}: not pushed (changed on YouTube meanwhile) (1 unit)" in lines
    assert f"YouTube will not let this login change video {forbidden}" in result.stderr
    assert f"video {changed}: its title, category changed on YouTube" in result.stderr
    assert "pushed 8, unchanged 0, failed 1, changed on YouTube meanwhile 1\nYouTube API units:" in result.stdout
    assert len(api.seen("PUT")) == 9  # the forbidden one was refused; the changed one never sent
    assert api.videos[changed]["title"] == "Renamed in Studio" and api.videos[changed]["categoryId"] == "27"
    assert api.videos[forbidden] == SNIPPET
    pushed = [video for _, video in [("2024-04", VIDEO), *months] if video not in (forbidden, changed)]
    for video in pushed:  # every other field kept as it was
        assert {k: v for k, v in api.videos[video].items() if k != "description"} == {
            k: v for k, v in SNIPPET.items() if k != "description"
        }
    assert len(api.seen("GET")) == 1 + 10  # one read for all ten, then one right before each update


def test_videos_are_read_fifty_at_a_time(example, api):
    months_with_videos(example, api, 54)  # 55 months in all
    result = run("youtube", "push", "--all", "--dry-run")
    assert result.exit_code == 0, result.output
    reads = api.seen("GET")
    assert [len(read.ids) for read in reads] == [50, 5]
    assert sorted(sum((read.ids for read in reads), [])) == sorted([VIDEO, *(f"video{n:06d}" for n in range(54))])
    assert "YouTube API units: 2 this time" in result.stdout


def test_two_months_with_one_video_stop_before_anything_is_sent(example, api):
    add_month(example, "2024-05", VIDEO)  # last month's topic.toml copied, its video not changed
    result = run("youtube", "push", "2024-05", "--yes")
    assert result.exit_code == 1
    assert (
        f"Error: campaigns/2024-05/topic.toml: video: {VIDEO} is also the video of 2024-04; a video has one "
        "month's description, so nothing was sent. Give each month its own video\n"
    ) in result.stderr
    assert api.requests == []
    assert api.videos[VIDEO] == SNIPPET


# --- The quota ---------------------------------------------------------------------------------


def quota_file(root: Path) -> dict:
    return json.loads((root / ".monthlypost/youtube-quota.json").read_text())


def pacific_time_now() -> str:
    from zoneinfo import ZoneInfo

    return datetime.datetime.now(ZoneInfo("America/Los_Angeles")).strftime("%H:%M")


def test_quota_exceeded_says_what_happened_and_how_to_go_on(example, api):
    api.used = api.quota  # spent today by something else using the same Google Cloud project
    before = pacific_time_now()
    result = run("youtube", "push", "2024-04", "--yes")
    after = pacific_time_now()
    assert result.exit_code == 1
    said = re.search(r"YouTube said at (\d\d:\d\d) Pacific time", result.stderr)
    assert said and before <= said.group(1) <= after
    assert (
        "that the project's daily API quota was used up (monthlypost spent 1 of the 10000 units in [youtube] "
        "daily_quota today, so the rest went to other programs using the same Google Cloud project, or its quota "
        "is lower). Nothing more was sent. The quota resets at midnight Pacific time; if Google has raised it, set "
        "[youtube] daily_quota to the new figure, or add --ignore-quota-block to try again now\n"
    ) in result.stderr
    assert "units are left" not in result.stderr
    assert "2024-04: not sent (stopped)" in result.stdout
    assert "YouTube API units: 1 this time, 1 of 10000 today" in result.stdout
    assert len(api.seen("GET")) == 1  # quotaExceeded is not retried
    # the next push today stops before asking YouTube, and says the same
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert f"YouTube said at {said.group(1)} Pacific time that the project's daily API quota" in result.stderr
    assert "Nothing was sent." in result.stderr
    assert "not sent (stopped)" not in result.stdout and "YouTube API units" not in result.stdout
    assert len(api.requests) == 1


def test_ignore_quota_block_tries_again(example, api):
    api.used = api.quota
    run("youtube", "push", "2024-04", "--yes")
    api.new_day()  # Google raised the quota, or the other program's use was reset
    result = run("youtube", "push", "2024-04", "--yes", "--ignore-quota-block")
    assert result.exit_code == 0, result.output
    assert "2024-04: pushed (51 units)" in result.stdout
    assert "blocked_at" not in quota_file(example)  # YouTube answered: the block is over
    assert run("youtube", "push", "2024-04", "--yes").exit_code == 0


def test_ignore_quota_block_stops_again_at_a_new_quota_exceeded(example, api):
    api.used = api.quota
    run("youtube", "push", "2024-04", "--yes")
    result = run("youtube", "push", "2024-04", "--yes", "--ignore-quota-block")
    assert result.exit_code == 1
    assert "Nothing more was sent" in result.stderr
    assert len(api.seen("GET")) == 2 and api.seen("PUT") == []


def test_raising_daily_quota_lifts_the_block(example, api):
    api.used = api.quota
    first = run("youtube", "push", "2024-04", "--yes")
    at = re.search(r"YouTube said at (\d\d:\d\d)", first.stderr).group(1)
    api.new_day()
    edit(
        example / "monthlypost.toml", 'hashtags = ["LivePainFree"]', 'hashtags = ["LivePainFree"]\ndaily_quota = 20000'
    )
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    assert (
        f"[youtube] daily_quota is 20000 now, up from 10000 when YouTube said at {at} Pacific time that the quota "
        "was used up, so monthlypost tries again."
    ) in result.stdout
    assert "2024-04: pushed (51 units)" in result.stdout
    assert "YouTube API units: 52 this time, 53 of 20000 today" in result.stdout


def test_quota_exceeded_on_the_channel_lookup_is_said_and_blocks_the_rest(example, api):
    (_, other), _ = months_with_videos(example, api, 2)
    del api.videos[VIDEO]  # not found, so monthlypost asks which channel it is logged in as…
    api.fail("GET", "/youtube/v3/channels", 403, "quotaExceeded", message=fake_youtube.QUOTA_MESSAGE)
    result = run("youtube", "push", "--all", "--yes")
    assert result.exit_code == 1
    assert (
        f"video {VIDEO} was not found: it does not exist, or is private to another account (the logged-in "
        "channel could not be read: YouTube said at "
    ) in result.stderr
    assert "2024-05: not sent (stopped)" in result.stdout and "2024-06: not sent (stopped)" in result.stdout
    assert api.seen("PUT") == []  # nothing sent after YouTube said the quota is used up
    result = run("youtube", "push", "2024-05", "--yes")
    assert result.exit_code == 1
    assert "that the project's daily API quota was used up" in result.stderr


def test_every_request_sent_is_counted_as_google_counts_it(example, api):
    (_, refused), _ = months_with_videos(example, api, 2)
    api.fail("GET", "/youtube/v3/videos", 503, "backendError", times=2)  # retried
    api.not_ours.add(refused)  # its update is refused, and still charged
    result = run("youtube", "push", "--all", "--yes")
    assert result.exit_code == 1
    assert api.used == 3 + 3 * 51 + 1  # the read and its two retries, three updates, and the channel's name
    assert quota_file(example)["units"] == api.used
    assert f"YouTube API units: {api.used} this time, {api.used} of 10000 today" in result.stdout


def test_when_google_runs_out_mid_run_the_run_stops_with_its_summary(example, api):
    months_with_videos(example, api, 2)
    api.quota = 110  # lower than [youtube] daily_quota says
    result = run("youtube", "push", "--all", "--yes")
    assert result.exit_code == 1
    assert [line for line in result.stdout.splitlines() if line.startswith("2024-") and "built" not in line] == [
        "2024-04: pushed (51 units)",
        "2024-05: pushed (51 units)",
        "2024-06: not sent (stopped)",
    ]
    assert "monthlypost spent 154 of the 10000 units" in result.stderr  # 1 + 51 + 51, a read, the refused update
    assert "YouTube API units: 154 this time" in result.stdout
    assert api.exhausted
    assert api.videos["video000001"] == SNIPPET  # its update was refused


def test_the_quota_day_is_pacific_time_with_daylight_saving():
    from monthlypost.publish.youtube.quota import pacific_now

    summer = datetime.datetime(2024, 7, 1, 7, 30, tzinfo=datetime.UTC)  # 00:30 in Los Angeles (PDT)
    winter = datetime.datetime(2024, 1, 15, 7, 30, tzinfo=datetime.UTC)  # 23:30 the day before (PST)
    assert pacific_now(summer).date().isoformat() == "2024-07-01"
    assert pacific_now(winter).date().isoformat() == "2024-01-14"


def test_no_time_zone_database_is_a_clean_error_not_a_wrong_day(example, api, monkeypatch):
    import zoneinfo

    def no_database(key):
        raise zoneinfo.ZoneInfoNotFoundError(f"No time zone found with key {key}")

    monkeypatch.setattr(zoneinfo, "ZoneInfo", no_database)
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert (
        "Error: this Python has no time-zone database, so YouTube's day (Pacific time) cannot be told; install one "
        "('pip install tzdata') and run the same command again\n"
    ) in result.stderr
    assert api.requests == []


def test_tzdata_is_a_dependency_where_the_platform_has_no_time_zone_database():
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    wanted = [Requirement(line) for line in requires("monthlypost") if Requirement(line).name == "tzdata"]
    assert len(wanted) == 1 and wanted[0].marker is not None
    assert wanted[0].marker.evaluate({"sys_platform": "win32", "extra": ""})
    assert not wanted[0].marker.evaluate({"sys_platform": "linux", "extra": ""})


# --- Translated descriptions -----------------------------------------------------------------


def translated(root: Path, api, language: str, old_lines: list[str]) -> str:
    """A translation of the description on YouTube: its own prose, with the shared lines as they were."""
    text = "\n".join(["Ein Satz auf Deutsch.", "", *old_lines])
    api.localizations.setdefault(VIDEO, {})[language] = {"title": f"Titel ({language})", "description": text}
    return text


def shared_lines(root: Path) -> tuple[list[str], list[str]]:
    """The phone and website lines of the built description, and the same lines as they were last month."""
    new = [line for line in description(root).splitlines() if line.startswith(("Phone:", "Website:"))]
    assert len(new) == 2, description(root)
    return [line.replace("(878)", "(777)").replace("https://www.", "http://") for line in new], new


def test_translations_still_holding_removed_lines_are_warned_about(example, api):
    run("build")
    old_lines, _ = shared_lines(example)
    api.videos[VIDEO]["description"] = "Old description.\n\n" + "\n".join(old_lines)
    translated(example, api, "de", old_lines)
    translated(example, api, "fr", ["Rien en commun."])
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    assert (
        f"Warning: video {VIDEO}: its descriptions in de still hold lines the description no longer has (such as "
        f"'{old_lines[0]}'), and viewers in those languages see them; push with --localizations"
    ) in result.stderr
    assert api.seen("PUT")[-1].query["part"] == "snippet"  # the translations were not touched
    assert api.localizations[VIDEO]["de"]["description"].endswith(old_lines[-1])


def test_localizations_makes_the_same_change_to_the_shared_lines(example, api):
    run("build")
    old_lines, new_lines = shared_lines(example)
    api.videos[VIDEO]["description"] = "Old description.\n\n" + "\n".join(old_lines)
    german = translated(example, api, "de", old_lines)
    built = description(example).splitlines()
    contact = built[built.index(new_lines[0]) : built.index(new_lines[1]) + 1]  # the email line added between
    assert len(contact) == 3
    api.localizations[VIDEO]["fr"] = {"title": "Titre", "description": "Rien en commun."}
    result = run("youtube", "push", "2024-04", "--yes", "--localizations")
    assert result.exit_code == 0, result.output
    assert "--- de on YouTube now\n+++ de, with the same change\n" in result.stdout
    german_diff = result.stdout.split("--- de on YouTube now")[1].splitlines()
    assert {f"-{line}" for line in old_lines} | {f"+{line}" for line in new_lines} <= set(german_diff)
    assert "-Ein Satz auf Deutsch." not in german_diff
    assert "Warning" not in result.stderr
    (update,) = api.seen("PUT")
    assert update.query["part"] == "snippet,localizations"
    assert update.body["localizations"] == {
        "de": {"title": "Titel (de)", "description": "\n".join(["Ein Satz auf Deutsch.", "", *contact])},
        "fr": {"title": "Titre", "description": "Rien en commun."},  # sent as it was, or YouTube would drop it
    }
    assert api.localizations[VIDEO]["de"]["description"].startswith("Ein Satz auf Deutsch.")
    (saved,) = backups(example)
    assert json.loads(saved.read_text())["localizations"]["de"]["description"] == german


def test_shared_change_keeps_translated_prose_and_follows_added_lines():
    from monthlypost.publish.youtube.push import shared_change

    old = "Hip pain keeps coming back.\n\nCall (444) 123-4567\nhttps://example.com\n\n#LivePainFree"
    new = "Hip pain returns for three reasons.\n\nCall (555) 123-4567\nhttps://example.com\nBook: https://b.example\n\n#LivePainFree"
    german = "Hüftschmerzen kommen immer wieder.\n\nCall (444) 123-4567\nhttps://example.com\n\n#LivePainFree"
    assert shared_change(old, new, german) == (
        "Hüftschmerzen kommen immer wieder.\n\nCall (555) 123-4567\nhttps://example.com\nBook: https://b.example"
        "\n\n#LivePainFree"
    )
    assert shared_change(old, new, "Nichts gemeinsam.") == "Nichts gemeinsam."


# --- What Google says, said plainly ---------------------------------------------------------------


def test_googles_html_is_stripped_and_the_broken_rule_named(example, api):
    api.videos[VIDEO]["categoryId"] = "18"  # a category videos can no longer be given
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert (
        f"Error: YouTube refused the category, sent back as it is, of video {VIDEO}: category '18' is not one a "
        "video can have (invalidCategoryId: The snippet.categoryId property specifies an invalid category ID. Use "
        "the videoCategories.list method to retrieve supported categories.); choose a category in YouTube Studio"
    ) in result.stderr
    assert "<code>" not in result.stderr and "href" not in result.stderr


def test_invalid_tags_say_which_rule(example, api):
    api.videos[VIDEO]["tags"] = [f"hip pain exercise {n:02d}" for n in range(25)]  # from before today's limit
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert (
        f"YouTube refused the tags, sent back as they are, of video {VIDEO}: the tags come to 574 characters as "
        "YouTube counts them (with a comma between tags, and quotes around a tag with a space); YouTube allows 500 "
        "(invalidTags: The request metadata specifies invalid video keywords.); shorten them in YouTube Studio, "
        "then push again"
    ) in result.stderr


def test_a_title_youtube_no_longer_takes_says_so(example, api):
    api.videos[VIDEO]["title"] = "Hip pain " * 13  # 117 characters
    result = run("youtube", "push", "2024-04", "--yes")
    assert "the title is 117 characters; YouTube allows 100 (invalidTitle: " in result.stderr
    assert api.videos[VIDEO]["description"] == SNIPPET["description"]


def test_a_refused_token_says_to_log_in_again(example, api):
    """The API's own 401: UNAUTHENTICATED, with WWW-Authenticate, for a token it no longer takes."""
    token = Path(os.environ["MONTHLYPOST_YOUTUBE_TOKEN"])
    token.write_text(json.dumps({**json.loads(token.read_text()), "token": "ya29.revoked"}))
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert (
        "Error: " + str(token) + ": YouTube refused the login (401: Invalid Credentials); "
        "run 'monthlypost youtube login' again\n"
    ) in result.stderr
    assert "Traceback" not in result.output


def test_localizations_after_a_push_without_it_still_mends_the_translations(example, api):
    run("build")
    old_lines, new_lines = shared_lines(example)
    api.videos[VIDEO]["description"] = "Old description.\n\n" + "\n".join(old_lines)
    translated(example, api, "de", old_lines)
    assert "push with --localizations" in run("youtube", "push", "2024-04", "--yes").stderr
    result = run("youtube", "push", "2024-04", "--yes", "--localizations")
    assert result.exit_code == 0, result.output
    assert "--- on YouTube now" not in result.stdout  # the description is already the new one
    assert "--- de on YouTube now" in result.stdout
    assert "2024-04: pushed (51 units)" in result.stdout
    german = api.localizations[VIDEO]["de"]["description"]
    assert new_lines[0] in german and old_lines[0] not in german
    # and from then on there is nothing left to do, and nothing to warn about
    result = run("youtube", "push", "2024-04", "--yes", "--localizations")
    assert "2024-04: unchanged, nothing sent" in result.stdout and "Warning" not in result.stderr


def test_backups_are_never_kept_through_a_symlink_out_of_the_workspace(example, api, tmp_path):
    """A workspace that comes with .monthlypost/youtube-backups linked elsewhere: no backup lands there, and
    as no backup could be made, nothing is read or sent."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (example / ".monthlypost").mkdir(exist_ok=True)
    (example / ".monthlypost/youtube-backups").symlink_to(elsewhere)

    result = run("youtube", "push", "2024-04", "--yes")

    assert result.exit_code == 1
    assert "Error: .monthlypost/youtube-backups: is a symlink; monthlypost keeps its state only in real folders" in (
        result.stderr
    )
    assert "Traceback" not in result.output
    assert list(elsewhere.iterdir()) == []
    assert api.seen("GET") == api.seen("PUT") == []  # stopped before YouTube was asked anything
    result = run("youtube", "restore", "2024-04", "--yes")
    assert result.exit_code == 1
    assert "Error: .monthlypost/youtube-backups: is a symlink" in result.stderr
    assert api.seen("GET") == api.seen("PUT") == []


@pytest.mark.parametrize("token_file", ["dist/youtube-token.json", "campaigns/token.json", "published/token.json"])
def test_the_login_is_never_kept_where_it_would_be_published(example, api, monkeypatch, token_file):
    """dist/ is published and campaigns/ kept with the months: a token_file there (a link included) is refused."""
    (example / "published").symlink_to("dist", target_is_directory=True)
    edit(example / "monthlypost.toml", 'category_id = "26"', f'category_id = "26"\ntoken_file = "{token_file}"')
    monkeypatch.delenv("MONTHLYPOST_YOUTUBE_TOKEN")
    for command in (["youtube", "push", "2024-04", "--yes"], ["youtube", "login", "--no-browser"]):
        result = run(*command)
        assert result.exit_code == 1
        shown = token_file.split("/")[0].replace("published", "dist")
        assert f"Error: monthlypost.toml: [youtube] token_file: '{token_file}' is inside {shown}/, which is" in (
            result.stderr
        )
    assert api.seen() == []
    assert not (example / "dist/youtube-token.json").exists()


# --- push --thumbnail -----------------------------------------------------------------------------


def jpeg(width: int, height: int, color: str) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def with_thumbnail(example, api):
    """The month has its creator's thumbnail; the video shows another one (YouTube's, say)."""
    (example / "campaigns/2024-04/thumbnail.jpg").write_bytes(jpeg(1920, 1080, "#aa3300"))
    api.give_thumbnail(VIDEO, jpeg(1280, 720, "#000000"))
    return example


def thumbnail_sets(api):
    return api.seen("POST", "/upload/youtube/v3/thumbnails/set")


def test_push_thumbnail_backs_up_the_image_shown_then_sets_the_months(with_thumbnail, api):
    example = with_thumbnail
    before = api.images[VIDEO]
    result = run("youtube", "push", "2024-04", "--thumbnail", "--yes")
    assert result.exit_code == 0, result.output
    ours = (example / "dist/2024-04/youtube-thumbnail.jpg").read_bytes()
    assert api.images[VIDEO] == ours  # the upload is the built file, byte for byte
    (sent,) = thumbnail_sets(api)
    assert sent.query["videoId"] == VIDEO and sent.query["uploadType"] == "media"
    assert f"thumbnail: {api.origin}/vi/{VIDEO}/maxres.jpg" in result.stdout  # the diff names both
    assert "→ 2024-04/youtube-thumbnail.jpg" in result.stdout
    # read, read again, the thumbnail (50), a read of what it shows now, the description (50)
    assert "2024-04: pushed (102 units)" in result.stdout
    assert "YouTube API units: 103 this time" in result.stdout
    (backup,) = backups(example)
    record = json.loads(backup.read_text())
    assert record["thumbnail_url"] == f"{api.origin}/vi/{VIDEO}/maxres.jpg"  # the largest size's address
    assert (backup.parent / record["thumbnail_file"]).read_bytes() == before  # and the image itself

    again = run("youtube", "push", "2024-04", "--thumbnail", "--yes")
    assert again.exit_code == 0, again.output
    assert "2024-04: unchanged, nothing sent" in again.stdout
    assert len(thumbnail_sets(api)) == 1

    restored = run("youtube", "restore", "2024-04", "--thumbnail", "--yes")
    assert restored.exit_code == 0, restored.output
    assert api.images[VIDEO] == before
    assert api.videos[VIDEO]["description"] == SNIPPET["description"]


def test_push_never_sends_a_thumbnail_without_the_option(with_thumbnail, api):
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 0, result.output
    assert thumbnail_sets(api) == []
    assert "thumbnail:" not in result.stdout


def test_a_channel_that_may_not_set_thumbnails_is_told_how_to_verify_and_nothing_else_is_sent(with_thumbnail, api):
    api.custom_thumbnails = False
    result = run("youtube", "push", "2024-04", "--thumbnail", "--yes")
    assert result.exit_code == 1
    assert "Custom thumbnails need a verified channel" in result.stderr
    assert "https://www.youtube.com/verify" in result.stderr
    assert "2024-04: failed, nothing sent" in result.stderr
    assert api.seen("PUT") == []  # the description waits for the thumbnail
    assert api.videos[VIDEO]["description"] == SNIPPET["description"]


def test_a_month_without_its_own_thumbnail_says_how_to_give_it_one(example, api):
    result = run("youtube", "push", "2024-04", "--thumbnail", "--yes")
    assert result.exit_code == 1
    assert "has no thumbnail of its own to set; put the video's thumbnail" in result.stderr
    assert thumbnail_sets(api) == [] and api.seen("PUT") == []


def test_a_thumbnail_changed_on_youtube_since_the_last_push_is_sent_again(with_thumbnail, api):
    run("youtube", "push", "2024-04", "--thumbnail", "--yes")
    api.images[VIDEO] = jpeg(1280, 720, "#ffffff")  # set in Studio: served at new addresses
    api.videos[VIDEO]["thumbnails"]["maxres"]["url"] += "?v=2"
    result = run("youtube", "push", "2024-04", "--thumbnail", "--yes")
    assert result.exit_code == 0, result.output
    assert len(thumbnail_sets(api)) == 2


def test_a_thumbnail_address_off_youtubes_hosts_is_never_fetched(with_thumbnail, api):
    api.videos[VIDEO]["thumbnails"]["maxres"]["url"] = "https://attacker.example/x.jpg"
    result = run("youtube", "push", "2024-04", "--thumbnail", "--yes")
    assert result.exit_code == 1
    assert "YouTube gave a thumbnail address that is not its own (https://attacker.example/x.jpg)" in result.stderr
    assert thumbnail_sets(api) == []


# --- push --schedule ------------------------------------------------------------------------------


def status_updates(api):
    return [r for r in api.seen("PUT") if r.query.get("part") == "status"]


@pytest.mark.parametrize(
    "local, utc",
    [("2099-01-15T09:00", "2099-01-15T09:00:00Z"), ("2099-07-15T09:00", "2099-07-15T08:00:00Z")],  # GMT, BST
)
def test_schedule_sets_publish_at_on_the_private_video_and_sends_its_status_back_whole(example, api, local, utc):
    publish_at(example, local)
    api.statuses[VIDEO] = {
        "uploadStatus": "processed",
        "privacyStatus": "private",
        "license": "creativeCommon",
        "embeddable": False,
        "publicStatsViewable": False,
        "selfDeclaredMadeForKids": False,
        "madeForKids": False,
    }
    result = run("youtube", "push", "2024-04", "--schedule", "--yes")
    assert result.exit_code == 0, result.output
    shown = f"public at {utc} ({local.replace('T', ' ')} Europe/London)"
    assert f"schedule: private, not scheduled\n        → private, {shown}" in result.stdout
    (sent,) = status_updates(api)
    assert sent.body == {
        "id": VIDEO,
        "status": {
            "privacyStatus": "private",
            "publishAt": utc,
            "license": "creativeCommon",  # each mutable field as read: left out, YouTube would reset it
            "embeddable": False,
            "publicStatsViewable": False,
            "selfDeclaredMadeForKids": False,
        },
    }
    assert api.statuses[VIDEO]["publishAt"] == utc and api.statuses[VIDEO]["license"] == "creativeCommon"
    again = run("youtube", "push", "2024-04", "--schedule", "--yes")
    assert "2024-04: unchanged, nothing sent" in again.stdout and len(status_updates(api)) == 1


def test_without_schedule_no_status_is_read_or_sent(example, api):
    publish_at(example, "2099-04-15T09:00")
    assert run("youtube", "push", "2024-04", "--yes").exit_code == 0
    assert status_updates(api) == []
    assert all("status" not in r.query.get("part", "") for r in api.seen("GET"))


@pytest.mark.parametrize("privacy", ["public", "unlisted"])
def test_a_public_or_unlisted_video_is_never_made_private(example, api, privacy):
    publish_at(example, "2099-04-15T09:00")
    api.status(VIDEO)["privacyStatus"] = privacy
    result = run("youtube", "push", "2024-04", "--schedule", "--yes")
    assert result.exit_code == 1
    assert f"video {VIDEO} is {privacy} already, and monthlypost never makes a video private again" in result.stderr
    assert api.seen("PUT") == [] and api.status(VIDEO)["privacyStatus"] == privacy


def test_a_moment_passed_is_never_scheduled(example, api):
    publish_at(example, "2020-04-15T09:00")  # YouTube would make the video public at once
    result = run("youtube", "push", "2024-04", "--schedule", "--yes")
    assert result.exit_code == 1
    assert "publish_at: the video's moment, 2020-04-15T09:00:00+01:00, has passed" in result.stderr
    assert api.seen("PUT") == [] and api.status(VIDEO)["privacyStatus"] == "private"


def test_a_moment_under_fifteen_minutes_ahead_is_never_scheduled(example, api):
    from zoneinfo import ZoneInfo

    soon = datetime.datetime.now(ZoneInfo("Europe/London")) + datetime.timedelta(minutes=8)
    publish_at(example, f"{soon:%Y-%m-%dT%H:%M}")
    result = run("youtube", "push", "2024-04", "--schedule", "--yes")
    assert result.exit_code == 1
    assert "minutes ahead; a schedule needs at least 15" in result.stderr
    assert api.seen("PUT") == []


def test_schedule_without_publish_at_says_how_to_set_one(example, api):
    result = run("youtube", "push", "2024-04", "--schedule", "--yes")
    assert result.exit_code == 1
    assert (
        "--schedule: there is no publish_at to schedule; add one, like publish_at = 2024-04-15T09:00" in result.stderr
    )


def test_unschedule_takes_the_moment_off_and_the_video_stays_private(example, api):
    publish_at(example, "2099-04-15T09:00")
    assert run("youtube", "push", "2024-04", "--schedule", "--yes").exit_code == 0
    result = run("youtube", "push", "2024-04", "--unschedule", "--yes")
    assert result.exit_code == 0, result.output
    assert "→ private, not scheduled: it stays private" in result.stdout
    assert "publishAt" not in status_updates(api)[-1].body["status"]
    assert api.status(VIDEO)["privacyStatus"] == "private" and "publishAt" not in api.status(VIDEO)


def test_a_video_once_public_is_not_scheduled_and_says_so(example, api):
    publish_at(example, "2099-04-15T09:00")
    api.were_public.add(VIDEO)  # public once, private again: YouTube keeps no moment for it
    result = run("youtube", "push", "2024-04", "--schedule", "--yes")
    assert result.exit_code == 1
    assert f"YouTube did not take the schedule for video {VIDEO}" in result.stderr
    assert "publishAt" not in api.status(VIDEO) and api.status(VIDEO)["privacyStatus"] == "private"


def test_schedule_keeps_the_videos_disclosure_of_synthetic_media(example, api):
    """status.containsSyntheticMedia is writable, so an update of the status part that left it out would reset
    it: the creator's disclosure, sent back as read."""
    publish_at(example, "2099-01-15T09:00")
    api.statuses[VIDEO] = {"uploadStatus": "processed", "privacyStatus": "private", "containsSyntheticMedia": True}
    result = run("youtube", "push", "2024-04", "--schedule", "--yes")
    assert result.exit_code == 0, result.output
    (sent,) = status_updates(api)
    assert sent.body["status"]["containsSyntheticMedia"] is True
    assert api.statuses[VIDEO]["containsSyntheticMedia"] is True
