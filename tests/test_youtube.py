"""youtube login, push and restore: the real Google client against a fake API on 127.0.0.1 (SPEC §6)."""

from __future__ import annotations

import datetime
import json
import os
import pty
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

from .conftest import edit, run, snapshot
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
    assert "2024-04: pushed (51 units)" in result.stdout
    assert "YouTube API units: 51 this time, 51 of 10000 today" in result.stdout
    (read,) = api.seen("GET")
    assert read.query == {"part": "snippet", "id": VIDEO, "alt": "json"}
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


def test_an_unchanged_description_sends_no_update(example, api):
    run("build")
    api.videos[VIDEO]["description"] = description(example)
    result = run("youtube", "push", "2024-04")
    assert result.exit_code == 0, result.output
    assert "2024-04: unchanged, nothing sent (1 unit)" in result.stdout
    assert api.seen("PUT") == [] and backups(example) == []


def test_dry_run_reads_and_shows_but_sends_nothing(example, api):
    result = run("youtube", "push", "2024-04", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "-Old description." in result.stdout
    assert "2024-04: would push (dry run: nothing sent) (1 unit)" in result.stdout
    assert len(api.seen("GET")) == 1 and api.seen("PUT") == []
    assert backups(example) == []
    assert api.videos[VIDEO] == SNIPPET


def test_no_terminal_and_no_yes_sends_nothing(example, api):
    result = run("youtube", "push", "2024-04")
    assert result.exit_code == 1
    assert "no terminal to ask on, so nothing was sent; rerun with --yes" in result.stderr
    assert api.seen("PUT") == [] and backups(example) == []


def push_at_a_terminal(root: Path, answer: str) -> str:
    """monthlypost youtube push with a real terminal (a pty) on stdin, typing the answer."""
    main, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "monthlypost", "youtube", "push", "2024-04"],
        cwd=root,
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as push:
        os.close(terminal)
        os.write(main, answer.encode() + b"\n")
        out, _ = push.communicate(timeout=60)
    os.close(main)
    return out


@pytest.mark.parametrize("answer, pushed", [("n", False), ("y", True)])
def test_at_a_terminal_it_asks_first(example, api, answer, pushed):
    out = push_at_a_terminal(example, answer)
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
    assert len(api.seen("GET")) == 2
    assert len(api.seen("PUT")) == 1


def test_quota_exceeded_says_when_it_resets_and_sends_nothing(example, api):
    api.fail(
        "GET",
        "/youtube/v3/videos",
        403,
        "quotaExceeded",
        message="The request cannot be completed because you have exceeded your quota.",
    )
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: YouTube's daily API quota is used up; it resets at midnight Pacific time "
        "(a read costs 1 unit, an update 50). Nothing more was sent; run the same command again after the reset\n"
    )
    assert len(api.seen("GET")) == 1  # quotaExceeded is not retried
    assert api.seen("PUT") == []
    # and the next push today stops before asking YouTube at all
    assert run("youtube", "push", "2024-04", "--yes").exit_code == 1
    assert len(api.seen("GET")) == 1


def test_a_video_that_is_not_found(example, api):
    api.videos.clear()
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert (
        f"Error: video {VIDEO} was not found: it does not exist, or is private to another account "
        "(logged in as the channel 'Live Pain Free'); check video in topic.toml"
    ) in result.stderr
    assert "2024-04: failed, nothing sent (2 units)" in result.stderr
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
    assert f"YouTube refused the update to video {VIDEO} (invalidDescription: " in result.stderr


def test_a_refused_login_says_to_log_in_again(example, api):
    api.fail("GET", "/youtube/v3/videos", 401, "authError", message="Invalid Credentials")
    result = run("youtube", "push", "2024-04", "--yes")
    assert result.exit_code == 1
    assert (
        "YouTube refused the login (401: Invalid Credentials); run 'monthlypost youtube login' again" in result.stderr
    )


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
        "2024-05: unchanged, nothing sent (1 unit)",
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
    assert "2024-05: pushed (51 units)" not in result.stdout
    assert "2024-05: not pushed (quota) (1 unit)" in result.stdout
    assert "2024-06: not pushed (quota) (1 unit)" in result.stdout
    assert (
        "Error: stopped before YouTube's daily quota runs out: 47 of 100 units are left today and each of "
        "2024-05, 2024-06 needs 50 more; nothing was sent for them. Run the same command after midnight Pacific time"
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


def test_login_saves_the_token_privately(example, api, token_server, ca, tmp_path):
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
    token = tmp_path / "config" / "monthlypost" / "youtube-token.json"
    env = {**os.environ, "MONTHLYPOST_YOUTUBE_TOKEN": str(token)}
    login = subprocess.Popen(
        [sys.executable, "-m", "monthlypost", "youtube", "login", "--no-browser", "--client-secrets", str(secrets)],
        cwd=example,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        shown = ""
        while "Waiting for Google" not in shown:
            line = login.stdout.readline()
            assert line, login.stderr.read()
            shown += line
        address = re.search(r"https://accounts\.google\.com/\S+", shown).group(0)
        asked = {k: v[0] for k, v in parse_qs(urlsplit(address).query).items()}
        assert asked["scope"] == "https://www.googleapis.com/auth/youtube.force-ssl"
        assert asked["access_type"] == "offline"
        port = urlsplit(asked["redirect_uri"]).port
        assert f"ssh -L {port}:localhost:{port}" in shown
        # the browser, after Google's consent page, comes back with a code
        back = f"{asked['redirect_uri']}?state={asked['state']}&code=4/granted-code&scope={asked['scope']}"
        with urllib.request.urlopen(back, timeout=30) as answer:
            assert b"logged in to YouTube" in answer.read()
        out, err = login.communicate(timeout=60)
    finally:
        login.kill()
    assert login.returncode == 0, err
    assert "YouTube channel: Live Pain Free" in out
    (grant,) = token_server.token_grants
    assert grant["grant_type"] == "authorization_code" and grant["code"] == "4/granted-code"
    saved = json.loads(token.read_text())
    assert saved["refresh_token"] == REFRESH_TOKEN and saved["token"] == ACCESS_TOKEN
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert stat.S_IMODE(token.parent.stat().st_mode) == 0o700
    assert no_secrets(shown + out + err)


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
