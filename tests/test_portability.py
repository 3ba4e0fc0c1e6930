"""The fallbacks for what Linux has and other systems lack (src/monthlypost/system.py), each forced here with
MONTHLYPOST_FALLBACKS and made to fail if it were broken; and a workspace written on Windows (Notepad's
CRLF line endings and byte-order mark) built as one written here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monthlypost.system import FALLBACKS_VARIABLE, can_fork, file_locks, forced, no_follow

from .conftest import edit, monthlypost, run, snapshot

LOCK = ".monthlypost/lock"


def test_each_fallback_is_forced_by_name_or_all(monkeypatch):
    monkeypatch.setenv(FALLBACKS_VARIABLE, "flock, nofollow")
    assert forced("flock") and forced("nofollow") and not forced("fork")
    assert file_locks() is None and no_follow() == 0
    monkeypatch.setenv(FALLBACKS_VARIABLE, "all")
    assert not can_fork() and file_locks() is None
    monkeypatch.delenv(FALLBACKS_VARIABLE)
    if sys.platform.startswith("linux"):
        assert can_fork() and file_locks() is not None and no_follow() == os.O_NOFOLLOW


def many_months(root: Path, count: int) -> None:
    for number in range(1, count + 1):
        month = f"2022-{number:02}" if number <= 12 else f"2023-{number - 12:02}"
        shutil.copytree(root / "campaigns/2024-04", root / "campaigns" / month)
        edit(root / "campaigns" / month / "topic.toml", 'title = "', f'title = "{month}: ')


def test_without_fork_many_months_are_built_in_this_process_with_the_same_bytes(example, monkeypatch):
    import multiprocessing

    many_months(example, 20)
    assert run("build", "--all", "--out", "../forked").exit_code == 0  # in a process per core, where there is fork
    monkeypatch.setenv(FALLBACKS_VARIABLE, "fork")

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker process was asked for")

    monkeypatch.setattr(multiprocessing, "get_context", no_pool)
    result = run("build", "--all")
    assert result.exit_code == 0, result.output
    assert snapshot(example / "dist") == snapshot(example.parent / "forked")


def holding(pid_of: subprocess.Popen | int, root: Path) -> None:
    """A lock file as the fallback leaves it while a process holds it: made, with the process's id in it."""
    (root / ".monthlypost").mkdir(exist_ok=True)
    (root / LOCK).write_text(str(pid_of if isinstance(pid_of, int) else pid_of.pid))


def test_without_file_locks_a_lock_file_held_by_a_running_process_is_waited_for(example, monkeypatch):
    monkeypatch.setenv(FALLBACKS_VARIABLE, "flock")
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        holding(holder, example)
        waiting = monthlypost(example, "build", "2024-04")
        line = waiting.stderr.readline()
        assert line == f"Waiting for another monthlypost (process {holder.pid}) to finish with this workspace…\n"
        time.sleep(0.5)
        assert waiting.poll() is None and not (example / "dist").exists()
    finally:
        holder.kill()
        holder.wait()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert out.startswith("2024-04: built dist/2024-04\n")
    assert not (example / LOCK).exists()  # removed once done


def test_without_file_locks_a_lock_file_left_by_a_process_that_is_gone_is_taken_over(example, monkeypatch):
    monkeypatch.setenv(FALLBACKS_VARIABLE, "flock")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    holding(gone, example)  # a crash left it
    result = run("build", "2024-04")
    assert result.exit_code == 0 and "Waiting" not in result.stderr, result.output
    assert not (example / LOCK).exists()
    (example / LOCK).write_text("")  # damaged, or a process that died before it wrote its id: stale in a moment
    started = time.monotonic()
    assert run("build", "2024-04", "--force").exit_code == 0
    assert time.monotonic() - started >= 2 and not (example / LOCK).exists()


def test_without_file_locks_two_builds_at_once_both_succeed_one_after_the_other(example, monkeypatch):
    monkeypatch.setenv(FALLBACKS_VARIABLE, "flock")
    many_months(example, 12)
    first, second = monthlypost(example, "build", "--all"), monthlypost(example, "build", "--all")
    results = [(process.wait(timeout=180), *process.communicate()) for process in (first, second)]
    assert [status for status, _, _ in results] == [0, 0], results
    assert sorted(out.splitlines()[-1] for _, out, _ in results) == [
        "built 0, up to date 13, failed 0",
        "built 13, up to date 0, failed 0",
    ]
    assert not (example / LOCK).exists()


@pytest.mark.parametrize("fallbacks", ["nofollow", "flock,nofollow"])
def test_without_o_nofollow_a_symlink_planted_at_the_lock_is_never_written_through(
    example, tmp_path, monkeypatch, fallbacks
):
    monkeypatch.setenv(FALLBACKS_VARIABLE, fallbacks)
    target = tmp_path / "elsewhere.txt"
    target.write_text("mine")
    (example / ".monthlypost").mkdir()
    (example / LOCK).symlink_to(target)
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert target.read_text() == "mine"  # neither truncated nor given a process id


def test_a_workspace_saved_by_notepad_builds_as_one_saved_here(example, tmp_path):
    """Windows' Notepad: CRLF line endings and a UTF-8 byte-order mark, in every text file of the workspace."""
    edit(example / "campaigns/2024-04/topic.toml", "cta =", 'cta = """Call me.\nOr write."""\nold_cta =')
    topic = example / "campaigns/2024-04/topic.toml"
    topic.write_text("\n".join(line for line in topic.read_text().splitlines() if not line.startswith("old_cta")))
    assert run("build", "2024-04", "--out", "../unix").exit_code == 0
    for path in (example / "monthlypost.toml", *(example / "campaigns/2024-04").glob("*.*")):
        if path.suffix in (".toml", ".md"):
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    built, unix = snapshot(example / "dist/2024-04"), snapshot(example.parent / "unix/2024-04")
    assert built.keys() == unix.keys()
    for name in built:
        if name != "manifest.json":  # its hashes of the inputs differ, as the bytes do
            assert built[name] == unix[name], name
    assert b"Call me." in built["post.html"]  # a value over two lines, as the LF build has it (compared above)
    assert not any(b"\r" in data for name, data in built.items() if name.endswith((".html", ".md", ".txt", ".mjml")))


def test_the_hosted_ci_workflow_is_valid_and_runs_the_readmes_test_command_everywhere():
    """.github/workflows/ci.yml, as GitHub's schema for workflows has it (action-validator, from npm)."""
    from .conftest import REPO

    workflow = REPO / ".github/workflows/ci.yml"
    validator = REPO / "node_modules/.bin/action-validator"
    if not validator.exists():
        reason = "needs action-validator: npm install @action-validator/core @action-validator/cli (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    checked = subprocess.run([str(validator), str(workflow)], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = workflow.read_text()
    assert "os: [ubuntu-latest, macos-latest, windows-latest]" in text
    assert 'python: ["3.11", "3.12", "3.13"]' in text
    readme = (REPO / "README.md").read_text()
    posix = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert f"run: {posix}\n" in text and posix in readme
    assert "MONTHLYPOST_FALLBACKS: all" in text


def test_an_image_written_with_windows_backslashes_is_found_and_linked_with_slashes(example):
    from PIL import Image

    (example / "campaigns/2024-04/img").mkdir()
    Image.new("RGB", (40, 30), "#2a7ab0").save(example / "campaigns/2024-04/img/photo.png")
    script = example / "campaigns/2024-04/script.md"
    script.write_text("![A photo](img\\photo.png)\n\n" + script.read_text())
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert (
        '<img src="img/photo.png" alt="A photo" width="40" height="30">'
        in (example / "dist/2024-04/post.html").read_text()
    )
    assert (example / "dist/2024-04/img/photo.png").is_file()


def test_two_images_whose_names_differ_only_in_capitals_are_an_error_everywhere(example):
    from PIL import Image

    folder = example / "campaigns/2024-04"
    Image.new("RGB", (4, 3)).save(folder / "Photo.png")
    Image.new("RGB", (4, 3)).save(folder / "photo.png")
    if len(list(folder.glob("*.png"))) < 2:
        pytest.skip("this file system ignores capitals: it holds one file for both names")
    (folder / "script.md").write_text("![a](Photo.png) ![b](photo.png)\n\n" + (folder / "script.md").read_text())
    result = run("build", "2024-04")
    assert result.exit_code == 1
    assert (
        "Error: campaigns/2024-04/script.md: line 1: image 'photo.png' and 'Photo.png' differ only in capitals: on "
        "Windows and macOS they are one file; rename one" in result.stderr
    )


def test_an_output_path_windows_would_refuse_is_a_warning(example):
    from PIL import Image

    name = "a-photo-with-a-long-descriptive-name-" + "x" * 120 + ".png"
    Image.new("RGB", (4, 3)).save(example / "campaigns/2024-04" / name)
    script = example / "campaigns/2024-04/script.md"
    script.write_text(f"![A photo]({name})\n\n" + script.read_text())
    out = example / ("deep-" + "d" * 100)
    result = run("build", "2024-04", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Windows refuses paths of 260 or more unless long paths are turned on" in result.stderr
    assert (out / "2024-04" / name).is_file()  # built all the same: this system takes it
