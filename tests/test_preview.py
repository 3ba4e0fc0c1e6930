"""monthlypost preview (SPEC §8): the real server on 127.0.0.1, the real file watcher, a real Chromium."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest

from monthlypost.preview import QUIET_MS, Preview
from monthlypost.preview.server import start

from .conftest import edit, run

TOPIC = "campaigns/2024-04/topic.toml"
SCRIPT = "campaigns/2024-04/script.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def preview(example):
    """The preview of the example month, served and watching its files, as `monthlypost preview` runs it."""
    shown = Preview(example, "2024-04")
    server = start(shown, free_port())
    watcher = threading.Thread(target=shown.watch, args=(lambda snapshot: None, pytest.fail), daemon=True)
    watcher.start()
    assert shown.watching.wait(60)  # however long the machine takes to start watching
    yield shown, server.server_address[1]
    shown.stop()
    server.shutdown()
    server.server_close()
    watcher.join(timeout=10)


def get(port: int, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET a path exactly as written (no normalising), with the headers a browser sends."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host or f"127.0.0.1:{port}")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


@contextmanager
def preview_program(root, port: int, *prefix: str):
    """``monthlypost preview`` as a program in ``root`` (run under ``prefix``, if given); ended and reaped after."""
    with subprocess.Popen(  # closes its pipes at the end, whatever happened (no unclosed file left to collect)
        [*prefix, sys.executable, "-m", "monthlypost", "preview", "--no-open", "--port", str(port)],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        try:
            yield process
        finally:
            process.kill()
            process.wait()


def wait_for(condition, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def saved_until(path, text: str, seen, timeout: float = 60) -> None:
    """``text`` saved into ``path`` until the preview has it: a program's watcher may not be watching yet
    (however long it takes to start), and would miss one save but not the next."""
    end = time.monotonic() + timeout
    while True:
        path.write_text(text)
        try:
            return wait_for(seen, timeout=2)
        except AssertionError:
            assert time.monotonic() < end, "never seen"


# --- Over HTTP ---------------------------------------------------------------------------------------------


def test_every_view_is_served(preview):
    shown, port = preview
    status, headers, body = get(port, "/")
    page = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    for piece in (
        "Why Your Hip Pain Keeps Coming Back",
        'src="/out/post.html"',
        'src="/out/newsletter.html"',
        "Desktop · 600 px",
        "Phone · 375 px",
        "Images off",
        "of Gmail's 102.0 KB",
        "1,129</b> of 5,000 bytes",
        "…more",
        "Patrick Lerouge",
        "The back-burner reasons",
        "IN THIS VIDEO",
        "No warnings",
    ):
        assert piece in page, piece
    assert get(port, "/out/post.html")[2] == shown.snapshot.files["post.html"]
    assert get(port, "/out/newsletter.html")[2] == shown.snapshot.files["newsletter.html"]
    assert get(port, "/out/newsletter.txt")[1]["Content-Type"] == "text/plain; charset=utf-8"
    off = get(port, "/out/newsletter.html?images=off")
    assert off[1]["Content-Security-Policy"] == "img-src 'none'"  # images off, as a mail client has them
    for asset in ("/assets/preview.css", "/assets/preview.js"):
        assert get(port, asset)[0] == 200


def test_the_hashtags_above_the_title_are_the_ones_youtube_will_show(example):
    """Every #word of the description counts, in order; the title's own hashtags go above it first."""
    from monthlypost.preview.page import page

    edit(example / TOPIC, 'summary = "The back-burner', 'summary = "#Hips: the back-burner')
    facts = Preview(example, "2024-04").snapshot.facts
    assert facts["hashtags_above"] == ["Hips", "HipPain", "TriggerPoints"]
    assert facts["hashtags"] == ["Hips", "HipPain", "TriggerPoints", "LivePainFree"]
    edit(example / TOPIC, "Keeps Coming Back", "Keeps Coming Back #HipHelp")
    snapshot = Preview(example, "2024-04").snapshot
    assert snapshot.facts["hashtags_above"] == ["HipHelp"]
    assert '<p class="yt-tags"' in page(snapshot) and "<span>#HipHelp</span> </p>" in " ".join(page(snapshot).split())


def test_the_event_stream_gives_the_builds_version(preview):
    shown, port = preview
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/events")
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    assert response.readline() == b"retry: 500\n"
    assert response.readline() == f"data: {shown.snapshot.version}\n".encode()
    connection.close()


def test_an_edit_rebuilds_the_month_in_memory_and_dist_is_left_alone(preview, example):
    shown, port = preview
    edit(example / SCRIPT, "Enjoy the video.", "Enjoy the video, now previewed.")
    wait_for(lambda: shown.snapshot.version > 1 and b"now previewed" in shown.snapshot.files.get("post.html", b""))
    assert b"now previewed" in get(port, "/out/post.html")[2]
    assert not (example / "dist").exists()


def test_rapid_saves_are_one_rebuild(preview, example):
    """Saves closer together than the watcher waits for quiet (QUIET_MS) are one rebuild. A run of saves the
    test itself was too slow to make that close together (on a busy machine) is made again."""
    shown, port = preview
    script = example / SCRIPT
    text = script.read_text()
    for attempt in range(20):
        before, started = shown.snapshot.version, time.monotonic()
        for number in range(5):
            script.write_text(text.replace("Enjoy the video", f"Enjoy {attempt}.{number}"))
        close_together = time.monotonic() - started < QUIET_MS / 1000
        last = f"Enjoy {attempt}.4".encode()
        wait_for(lambda last=last: last in shown.snapshot.files.get("post.html", b""))
        time.sleep(1)  # time for a second rebuild, were there one
        if close_together:
            break
    assert close_together
    assert shown.snapshot.version == before + 1


def test_a_build_error_shows_in_the_page_and_the_server_recovers(preview, example):
    shown, port = preview
    edit(example / TOPIC, 'title = "Why', 'title = "Why\\nBroken')
    wait_for(lambda: not shown.snapshot.ok)
    status, _, body = get(port, "/")
    assert status == 200
    assert "The month does not build" in body.decode()
    assert f"Error: {TOPIC}: title: must be one line" in body.decode()
    assert get(port, "/out/post.html")[0] == 404  # nothing built, nothing served

    edit(example / TOPIC, 'title = "Why\\nBroken', 'title = "Why')
    wait_for(lambda: shown.snapshot.ok)
    assert "Why Your Hip Pain" in get(port, "/")[2].decode()


def test_templates_and_settings_are_watched_too(preview, example):
    shown, port = preview
    edit(example / "monthlypost.toml", "(878) 688-7378", "(878) 688-0000")
    wait_for(lambda: b"688-0000" in shown.snapshot.files.get("youtube.txt", b""))
    (example / "templates").mkdir()
    (example / "templates/youtube.txt").write_text("{{ summary }}\nFrom my own template.\n")
    wait_for(lambda: b"From my own template." in shown.snapshot.files.get("youtube.txt", b""))


def test_files_elsewhere_do_not_rebuild_it(preview, example):
    shown, port = preview
    (example / "notes.txt").write_text("not the month's")
    (example / "campaigns/2023-01").mkdir()
    (example / "campaigns/2023-01/script.md").write_text("another month")
    time.sleep(1.5)
    assert shown.snapshot.version == 1


def test_a_folder_made_in_the_month_is_watched_from_then_on(preview, example):
    shown, port = preview
    edit(example / SCRIPT, "Enjoy the video.", "Enjoy the video.\n\n![The stretch](img/stretch.png)")
    wait_for(lambda: not shown.snapshot.ok)  # the image is not there yet
    (example / "campaigns/2024-04/img").mkdir()
    (example / "campaigns/2024-04/img/stretch.png").write_bytes(b"first")
    wait_for(lambda: shown.snapshot.files.get("img/stretch.png") == b"first")  # rebuilt once the folder is watched
    (example / "campaigns/2024-04/img/stretch.png").write_bytes(b"second")  # only the new folder changes
    wait_for(lambda: shown.snapshot.files.get("img/stretch.png") == b"second")
    assert get(port, "/out/img/stretch.png")[2] == b"second"


def test_only_the_workspaces_own_folders_are_watched(example, tmp_path):
    """Not dist/, not other months, not a folder linked from the month's (it could be the whole disk)."""
    month = example / "campaigns/2024-04"
    (month / "img").mkdir()
    (example / "templates/parts").mkdir(parents=True)
    (example / "campaigns/2023-01").mkdir()
    (tmp_path / "elsewhere/deeper").mkdir(parents=True)
    (month / "elsewhere").symlink_to(tmp_path / "elsewhere")
    assert run("build", "2024-04").exit_code == 0

    assert Preview(example, "2024-04").folders() == {
        str(example),
        str(example / "campaigns"),
        str(month),
        str(month / "img"),
        str(example / "templates"),
        str(example / "templates/parts"),
    }


def test_a_watcher_that_fails_says_so_and_the_page_stays(example, monkeypatch):
    shown = Preview(example, "2024-04")
    monkeypatch.setattr(shown, "folders", lambda: {str(example / "gone")})  # as if the system refused it
    failures: list[str] = []
    shown.watch(lambda snapshot: None, failures.append)  # returns, rather than raise in its thread
    (failure,) = failures
    assert failure.startswith("cannot watch the workspace for changes (")
    assert failure.endswith("; the page is still served, but no longer rebuilt when you save: restart the preview")
    assert shown.snapshot.ok


def test_an_unreadable_folder_in_the_workspace_does_not_stop_the_rebuilds(example):
    """A folder the user cannot read (another user's, lost+found) is passed over; the month is still watched."""
    from .conftest import ordinary_user

    private = example / "private"
    private.mkdir(mode=0)
    port = free_port()
    try:
        with preview_program(example, port, *ordinary_user()) as process:
            assert process.stdout.readline().startswith("Previewing 2024-04 at")
            assert process.stdout.readline() == "2024-04: built in memory\n"
            script = (example / SCRIPT).read_text().replace("Enjoy the video.", "Enjoy the video, seen by the watcher.")
            saved_until(example / SCRIPT, script, lambda: b"seen by the watcher" in get(port, "/out/post.html")[2])
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=60)
    finally:
        private.chmod(0o700)
    assert "Traceback" not in err and "Error" not in out + err, out + err
    assert process.returncode == 0


@pytest.mark.parametrize(
    "path",
    [
        "/out/../monthlypost.toml",
        "/out/%2e%2e/monthlypost.toml",
        "/out/..%2fmonthlypost.toml",
        "/../campaigns/2024-04/topic.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
        "//etc/passwd",
        "/out/post.html/../../monthlypost.toml",
        "/out/",
        "/out",
        "/assets/../preview/__init__.py",
        "/assets/page.html",
        "/campaigns/2024-04/script.md",
        "/monthlypost.toml",
        "/out/manifest.json/..",
    ],
)
def test_only_what_it_built_is_served(preview, path):
    shown, port = preview
    status, _, body = get(port, path)
    assert status == 404, path
    assert b"toml" not in body and b"root:" not in body


def test_another_host_name_is_refused(preview):
    shown, port = preview
    assert get(port, "/", host=f"attacker.example:{port}")[0] == 403
    assert get(port, "/", host=f"localhost:{port}")[0] == 200


def test_it_listens_on_127_0_0_1_only(preview):
    shown, port = preview
    with socket.socket() as other, pytest.raises(ConnectionRefusedError):
        other.connect(("127.0.0.2", port))  # a server on 0.0.0.0 would answer here (all of 127/8 is this host)
    with socket.socket() as loopback:
        loopback.connect(("127.0.0.1", port))


def test_a_taken_port_moves_to_the_next_free_one(example):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    shown = Preview(example, "2024-04")
    server = start(shown, port)
    try:
        assert server.server_address[1] != port and server.server_address[1] > port
    finally:
        server.shutdown()
        server.server_close()
        taken.close()


def test_the_last_port_taken_is_an_error_not_a_search_past_it(example):
    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", 65535))
            taken.listen()
        except OSError:  # something on this machine has it already: taken all the same
            pass
        result = run("preview", "--no-open", "--port", "65535")
    assert result.exit_code == 1
    assert result.stderr == "Error: port 65535 is taken; choose another with --port\n"


def test_the_event_stream_answers_head_with_headers_only(preview):
    shown, port = preview
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        raw.sendall(f"HEAD /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        answer = b""
        while chunk := raw.recv(65536):  # until the server closes the connection (no stream held open)
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"Content-Type: text/event-stream" in head
    assert b"Connection: close" in head
    assert body == b""


def test_a_misnamed_month_folder_is_said_when_the_newest_is_previewed(example):
    shutil.copytree(example / "campaigns/2024-04", example / "campaigns/2024-13")
    port = free_port()
    with preview_program(example, port) as process:
        assert process.stdout.readline().startswith("Previewing 2024-04 at")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert "Error: campaigns/2024-13: is not a month: 13 is no month of the year" in err
    assert process.returncode == 1


def test_ctrl_c_ends_it_cleanly(example):
    port = free_port()
    with preview_program(example, port) as process:
        first = process.stdout.readline()
        assert first == f"Previewing 2024-04 at http://127.0.0.1:{port}/ (Ctrl-C stops it)\n", first
        assert get(port, "/")[0] == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.rstrip().endswith("Preview stopped.")
    assert "Traceback" not in err
    assert not (example / "dist").exists()


TGKILL = {"x86_64": 234, "aarch64": 131}  # the system call that signals one thread of another process


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads signalled through Linux's tgkill")
def test_ctrl_c_received_by_another_thread_still_ends_it(example):
    """The system may hand Ctrl-C to any thread (a watcher's, a server's); the preview still stops."""
    import ctypes
    import platform

    port = free_port()
    with preview_program(example, port) as process:
        assert process.stdout.readline().startswith("Previewing 2024-04 at")
        assert get(port, "/")[0] == 200
        time.sleep(0.5)  # every thread is running
        others = [int(task) for task in os.listdir(f"/proc/{process.pid}/task") if int(task) != process.pid]
        assert others
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.syscall(TGKILL[platform.machine()], process.pid, others[0], signal.SIGINT) == 0
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.rstrip().endswith("Preview stopped.")


def test_no_month_previews_the_newest_and_help_says_how(example):
    assert "Serves the blog post" in run("preview", "--help").stdout
    result = run("preview", "2025-01", "--no-open")
    assert result.exit_code == 1
    assert "no folder for 2025-01" in result.stderr


# --- In a browser -----------------------------------------------------------------------------------------------


def test_the_email_at_375_pixels_has_no_horizontal_overflow(browser, preview):
    shown, port = preview
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"http://127.0.0.1:{port}/#email")
    frame = page.frame_locator(".device.phone iframe")
    frame.locator("h1").wait_for()
    phone = page.locator(".device.phone iframe").element_handle().content_frame()
    widths = phone.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[1] == 375 and widths[0] <= 375, widths
    page.close()


def test_images_off_shows_the_alt_text(browser, preview):
    shown, port = preview
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"http://127.0.0.1:{port}/#email")
    page.check("#images-off")
    page.wait_for_function("document.querySelector('.device.desktop iframe').src.endsWith('?images=off')")
    desktop = page.locator(".device.desktop iframe").element_handle().content_frame()
    desktop.wait_for_load_state()
    image = desktop.locator("img[alt='Why Your Hip Pain Keeps Coming Back']")
    assert image.evaluate("img => img.complete && img.naturalWidth === 0")  # blocked, so its alt text shows
    page.close()


def test_an_edit_changes_the_open_page_without_a_reload_by_hand(browser, preview, example):
    shown, port = preview
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{port}/#inbox")
    assert page.locator(".bar h1").inner_text() == "Why Your Hip Pain Keeps Coming Back"
    edit(example / TOPIC, 'title = "Why Your Hip Pain Keeps Coming Back"', 'title = "Hip Pain, Explained"')
    page.wait_for_function("document.querySelector('.bar h1').textContent === 'Hip Pain, Explained'", timeout=60000)
    assert page.url.endswith("#inbox")  # the same tab, still open
    assert page.locator("#panel-inbox").is_visible()
    page.close()


def test_breaking_the_month_shows_the_error_in_the_open_page_and_fixing_it_brings_it_back(browser, preview, example):
    shown, port = preview
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{port}/")
    edit(example / TOPIC, 'summary = "', 'summary = "unclosed\n')
    page.wait_for_selector(".errors", timeout=60000)
    assert f"Error: {TOPIC}: line" in page.locator(".errors").inner_text()
    edit(example / TOPIC, 'summary = "unclosed\n', 'summary = "')
    page.wait_for_selector("iframe[src='/out/post.html']", timeout=60000)
    page.close()


def test_the_share_card_is_shown_as_each_site_crops_it(browser, preview):
    shown, port = preview
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"http://127.0.0.1:{port}/#share")
    page.click("[data-tab=share]")
    crops = page.locator(".card .crop")
    crops.first.wait_for()
    assert page.locator(".card figcaption").all_inner_texts() == ["FACEBOOK · 1.91/1", "X · 2/1", "LINKEDIN · 1.91/1"]
    sizes = crops.evaluate_all("els => els.map(e => [e.clientWidth, e.clientHeight])")
    assert [round(w / h, 2) for w, h in sizes] == [1.91, 2.0, 1.91]
    images = page.locator(".card img")
    page.wait_for_function("[...document.querySelectorAll('.card img')].every(i => i.complete)")
    assert images.evaluate_all("els => els.map(i => i.naturalWidth)") == [1200, 1200, 1200]  # share.jpg itself
    assert page.locator(".card-text .host").first.inner_text().lower() == "www.livepainfreeprocess.com"
    page.close()


def test_the_email_shows_its_new_picture_before_it_is_published(browser, preview):
    shown, port = preview
    assert b'"/out/email.jpg"' in get(port, "/out/newsletter.html")[2]  # the copy the preview serves
    # only the preview's copy: the email itself keeps the address beside the published post
    assert b"/blog/why-your-hip-pain-keeps-coming-back/email.jpg" in shown.snapshot.files["newsletter.mjml"]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"http://127.0.0.1:{port}/#email")
    desktop = page.locator(".device.desktop iframe").element_handle().content_frame()
    desktop.wait_for_load_state()
    picture = desktop.locator("img[alt='Why Your Hip Pain Keeps Coming Back']")
    picture.wait_for()
    desktop.wait_for_function("document.images[0] && [...document.images].every(i => i.complete)")
    assert picture.evaluate("img => img.naturalWidth") == 1072  # email.jpg, with its play button
    page.close()


def test_a_rebuild_overtaken_by_a_save_is_never_served_and_the_newest_files_are(preview, example, monkeypatch):
    """A save that lands while the month is being rebuilt: that rebuild shows files no longer the newest, so it
    is dropped, and the month is built again from the newest; every page served is one whole build."""
    import monthlypost.preview as module

    shown, port = preview
    script = example / SCRIPT
    text = script.read_text()
    real, built = module.build_snapshot, []

    def overtaken(*args, **kwargs):
        snapshot = real(*args, **kwargs)  # the files as they were when this rebuild read them
        built.append(snapshot.files.get("post.html", b""))
        if len(built) == 1:  # a second save lands before the first rebuild is done
            script.write_text(text.replace("Enjoy the video", "Enjoy the second save"))
            time.sleep(0.5)  # time for the watcher to see it
        return snapshot

    monkeypatch.setattr(module, "build_snapshot", overtaken)
    before = shown.snapshot.version
    script.write_text(text.replace("Enjoy the video", "Enjoy the first save"))
    wait_for(lambda: b"second save" in shown.snapshot.files.get("post.html", b""))
    time.sleep(1)  # time for another rebuild, were there one
    assert b"first save" in built[0]  # built, and then dropped: never served
    assert shown.snapshot.version == before + 1 and b"second save" in shown.snapshot.files["post.html"]
