"""Issue 8's behaviour, not its timings (benchmarks/run.py measures those): what is reused, what runs in
parallel and gives the same bytes, what is imported, and what a run of many months prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monthlypost import build as building
from monthlypost.build import build, state
from monthlypost.workspace import Workspace

from .conftest import at_a_terminal, edit, needs_fork, run, snapshot


def add_months(root: Path, count: int) -> list[str]:
    """``count`` more months, copies of the example month under other titles, oldest first."""
    source = root / "campaigns/2024-04"
    made = []
    for number in range(count):
        month = f"{2020 + number // 12}-{number % 12 + 1:02d}"
        target = root / "campaigns" / month
        target.mkdir()
        for path in source.iterdir():
            (target / path.name).write_bytes(path.read_bytes())
        edit(target / "topic.toml", 'title = "', f'title = "{month}: ')
        made.append(month)
    return made


def test_many_months_built_in_parallel_give_the_same_bytes_in_the_same_order(example, tmp_path):
    months = [*add_months(example, 20), "2024-04"]
    serial = list(build(Workspace(example), months, tmp_path / "serial", parallel=False))
    parallel = list(build(Workspace(example), months, tmp_path / "parallel", parallel=True))
    assert [o.month for o in parallel] == months == [o.month for o in serial]
    assert {o.status for o in parallel} == {"built"}
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "serial")
    assert [o.files for o in parallel] == [o.files for o in serial]
    assert not building._running  # the workers ended with the build


@needs_fork
def test_a_build_left_early_ends_its_workers(example, tmp_path):
    months = add_months(example, 20)
    outcomes = build(Workspace(example), months, tmp_path / "out", parallel=True)
    assert [next(outcomes).status for _ in range(2)] == ["built", "built"]  # the first here, then from a worker
    workers = set(building._running)
    assert workers
    for pid in workers:
        os.kill(pid, 0)  # running
    outcomes.close()
    assert not building._running
    for pid in workers:  # ended, and waited for
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _fault(kind: str) -> None:
    if kind == "raises":
        raise ZeroDivisionError("a fault of ours")
    os._exit(3)  # as a worker killed by the system would end


@needs_fork
@pytest.mark.parametrize(
    "kind, raised, message",
    [
        ("raises", ZeroDivisionError, "a fault of ours"),  # raised in the main process, as in the worker
        ("dies", RuntimeError, "a build worker ended before sending all its months"),  # an error, not a wait
    ],
)
def test_a_worker_that_fails_fails_the_build_and_every_worker_ends(
    example, tmp_path, monkeypatch, kind, raised, message
):
    monkeypatch.setenv(building.JOBS_VARIABLE, "2")  # this process and one worker, however many cores
    months = add_months(example, 20)
    rendering = building._render_job
    main = os.getpid()

    def failing(workspace, files, force, keep_files, job):
        if job[0] == months[5]:  # the worker's (this process renders every other month from the first)
            assert os.getpid() != main
            _fault(kind)
        return rendering(workspace, files, force, keep_files, job)

    monkeypatch.setattr(building, "_render_job", failing)
    outcomes = build(Workspace(example), months, tmp_path / "out", parallel=True)
    with pytest.raises(raised, match=message):
        for _ in outcomes:
            pass
    assert not building._running


def queued(pipe: int) -> int:
    """The bytes written into a pipe and not yet read."""
    import fcntl
    import termios

    count = bytearray(4)
    fcntl.ioctl(pipe, termios.FIONREAD, count)
    return int.from_bytes(count, sys.byteorder)


def read_to_the_end(pipe: int, seconds: float) -> bytes:
    """All a pipe holds until every writer has closed it; failing the test after ``seconds``."""
    import os
    import select

    data, end = b"", time.monotonic() + seconds
    while True:
        assert select.select([pipe], [], [], max(0, end - time.monotonic()))[0], "never closed"
        chunk = os.read(pipe, 65536)
        if not chunk:
            return data
        data += chunk


def test_ctrl_c_in_a_parallel_build_is_one_aborted_line_and_the_next_build_finishes_it(example):
    """Ctrl-C reaches the whole process group: the workers leave it to the main process, which stops them.

    However fast the machine, the build cannot finish before the Ctrl-C: it prints into a pipe the test keeps
    all but full, so it waits on its fourth line or so, and the test reads the rest only after the Ctrl-C."""
    import fcntl
    import os
    import signal

    add_months(example, 48)  # 2020 to 2023, beside the example's 2024-04
    room = 100  # bytes left in the pipe: three lines of 'YYYY-MM: built dist/YYYY-MM'
    out_read, out_write = os.pipe()
    try:
        size = fcntl.fcntl(out_write, fcntl.F_SETPIPE_SZ, 4096)
        os.write(out_write, b"#" * (size - room))
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "monthlypost", "build", "--all"],
                cwd=example,
                stdout=out_write,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,  # a process group of its own, as a terminal's foreground job is
            )
        finally:
            os.close(out_write)
        with process:
            try:
                while queued(out_read) < size - room + 56:  # two lines printed
                    assert process.poll() is None, process.stderr.read()
                    time.sleep(0.01)
                os.killpg(process.pid, signal.SIGINT)
                out = read_to_the_end(out_read, 60)[size - room :].decode()
                err = process.stderr.read()
                process.wait(timeout=60)
            finally:
                process.kill()
                process.wait()
    finally:
        os.close(out_read)
    assert process.returncode == 1, (out, err)
    assert err == "\nAborted!\n"
    assert out.count(": built dist/") >= 2 and "built 49" not in out  # it did stop

    result = run("build", "--all")
    assert result.exit_code == 0
    assert result.stdout.endswith(", failed 0\n")
    assert [p.name for p in (example / "dist").iterdir() if p.name.startswith(".")] == []


CTRL_C_AS_A_WORKER_STARTS = """
import os, signal, sys
import monthlypost.build

ignore = monthlypost.build._leave_ctrl_c_to_the_parent


def ctrl_c_as_it_starts():
    os.killpg(0, signal.SIGINT)  # the Ctrl-C reaches the group before this worker could ignore it
    ignore()


monthlypost.build._leave_ctrl_c_to_the_parent = ctrl_c_as_it_starts
from monthlypost.cli import cli

cli(["build", "--all"], prog_name="monthlypost")
"""


@needs_fork
def test_ctrl_c_while_the_workers_start_is_still_one_aborted_line(example):
    add_months(example, 48)
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_AS_A_WORKER_STARTS],
        cwd=example,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == "\nAborted!\n"
    assert "built 49" not in done.stdout


def test_parallel_builds_report_each_months_errors_in_order(example, tmp_path):
    months = add_months(example, 17)
    edit(example / f"campaigns/{months[3]}/topic.toml", "https://youtu.be/hipPain2404", "https://vimeo.com/1")
    outcomes = list(build(Workspace(example), months, tmp_path / "out", parallel=True))
    assert [o.month for o in outcomes] == months
    assert [o.status for o in outcomes].count("failed") == 1
    assert outcomes[3].status == "failed"
    assert "vimeo" in str(outcomes[3].problems[0])


def test_a_run_of_many_months_ends_with_one_summary_line(example):
    add_months(example, 2)
    result = run("build", "--all")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "built 3, up to date 0, failed 0"
    edit(example / "campaigns/2020-02/topic.toml", "https://youtu.be/hipPain2404", "https://vimeo.com/1")
    result = run("build", "--all")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "built 0, up to date 2, failed 1"
    result = run("check", "--all")
    assert result.stdout.splitlines()[-1] == "ok 2, failed 1"
    assert run("build", "2024-04").stdout == "2024-04: up to date in dist/2024-04 (--force rebuilds it)\n"


def test_at_a_terminal_a_progress_bar_shows_and_up_to_date_months_are_only_counted(example):
    add_months(example, 3)
    run("build", "--all")
    edit(example / "campaigns/2020-02/script.md", "Enjoy the video.", "Enjoy the video!")
    shown = at_a_terminal(example, "build", "--all")
    assert re.search(r"Building\s+\[#+\]\s+4/4", shown), shown
    assert "2020-02: built dist/2020-02" in shown
    assert "up to date in" not in shown
    assert shown.rstrip().endswith("built 1, up to date 3, failed 0")


def test_elsewhere_no_progress_bar(example):
    add_months(example, 3)
    result = run("build", "--all")
    assert "Building" not in result.output and "[#" not in result.output


def test_compiled_templates_are_kept_signed_and_a_planted_one_is_never_run(example, tmp_path):
    assert run("build", "2024-04").exit_code == 0
    (cache,) = (example / ".monthlypost/cache").iterdir()
    files = sorted(cache.glob("*.code"))
    assert len(files) == 8  # the eight templates (five outputs, the archive's three), compiled once and kept
    marker = tmp_path / "planted-code-ran"
    planted = compile(f"open({str(marker)!r}, 'w').close()", "<planted>", "exec")
    import marshal

    for path in files:  # what a hostile workspace could ship: valid layout, no valid signature
        data = path.read_bytes()
        checksum = data[32:].partition(b"\n")[0]
        path.write_bytes(b"\0" * 32 + checksum + b"\n" + marshal.dumps(planted))
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy the video!")
    assert run("build", "2024-04").exit_code == 0
    assert not marker.exists()
    assert "Enjoy the video!" in (example / "dist/2024-04/post.html").read_text()


def test_code_compiled_outside_the_sandbox_is_never_used(example, tmp_path):
    """A cache of this user's own, signed, from before templates ran in the sandbox: dropped, not run."""
    import marshal

    from monthlypost import __version__
    from monthlypost.render.cache import TemplateCache, signing_key

    assert run("build", "2024-04").exit_code == 0
    (cache,) = (example / ".monthlypost/cache").iterdir()
    older = cache.parent / f"templates-{__version__}-{sys.implementation.cache_tag}"  # the name it had
    marker = tmp_path / "unsandboxed-code-ran"
    planted = marshal.dumps(compile(f"open({str(marker)!r}, 'w').close()", "<old>", "exec"))
    key = signing_key()
    assert key is not None
    older.mkdir()
    for path in cache.glob("*.code"):
        body = path.read_bytes()[32:].partition(b"\n")[0] + b"\n" + planted
        (older / path.name).write_bytes(TemplateCache(older, key)._sign(body) + body)
    cache.rename(tmp_path / "set-aside")  # so that only the older cache could answer
    edit(example / "campaigns/2024-04/script.md", "Enjoy the video.", "Enjoy the video!")

    assert run("build", "2024-04").exit_code == 0
    assert not marker.exists()
    assert "Enjoy the video!" in (example / "dist/2024-04/post.html").read_text()
    assert [p.name for p in (example / ".monthlypost/cache").iterdir()] == [cache.name]  # the older one removed


def test_a_template_change_is_seen_through_the_cache(example):
    run("build", "2024-04")
    (example / "templates").mkdir()
    (example / "templates/youtube.txt").write_text("{{ summary }}\nFirst.\n")
    run("build", "2024-04")
    assert "First." in (example / "dist/2024-04/youtube.txt").read_text()
    (example / "templates/youtube.txt").write_text("{{ summary }}\nSecond.\n")
    run("build", "2024-04")
    assert "Second." in (example / "dist/2024-04/youtube.txt").read_text()


def test_an_unchanged_rebuild_leaves_the_files_as_they_were(example):
    run("build", "2024-04")
    before = {p.name: p.stat().st_mtime_ns for p in (example / "dist/2024-04").iterdir()}
    assert run("build", "2024-04", "--force").stdout == "2024-04: built dist/2024-04\n"
    assert {p.name: p.stat().st_mtime_ns for p in (example / "dist/2024-04").iterdir()} == before


IMPORTS = (
    "import sys\nfrom monthlypost.cli import cli\n"
    "try: cli({args})\nexcept SystemExit: pass\n"
    "print('LOADED', ' '.join(sorted(sys.modules)))"
)


@pytest.mark.parametrize(
    "args, absent",
    [
        (["--help"], ["monthlypost.workspace", "monthlypost.config", "jinja2", "markdown_it", "pathlib", "watchfiles"]),
        (["--version"], ["monthlypost.workspace", "jinja2", "markdown_it"]),
        (["list"], ["jinja2", "markdown_it", "mjml", "css_inline", "monthlypost.config", "multiprocessing"]),
        (["build"], ["jinja2", "markdown_it", "mjml", "monthlypost.config", "multiprocessing"]),  # up to date
        (["build", "--force"], ["watchfiles", "http.server", "monthlypost.preview", "googleapiclient", "email.utils"]),
    ],
)
def test_each_command_imports_only_what_it_uses(example, args, absent):
    run("build", "2024-04")
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS.format(args=args)], cwd=example, capture_output=True, text=True
    )
    loaded = set(done.stdout.split("LOADED ")[-1].split())
    assert not loaded & set(absent), loaded & set(absent)


AS_A_PROGRAM = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('torn down', file=sys.stderr))\n"
    "sys.argv = ['monthlypost', *{args}]\n"
    "from monthlypost.main import run\n"
    "run()\n"
)
AS_A_LIBRARY = "import sys\nsys.argv = ['monthlypost', *{args}]\nfrom monthlypost.cli import cli\ncli()\n"


@pytest.mark.parametrize(
    "args, status, torn_down",
    [
        (["build", "--all"], 0, False),
        (["build", "2099-01"], 1, False),
        (["bogus"], 2, False),
        (["--help"], 0, False),
        (["youtube", "--help"], 0, True),  # a command that may hold connections ends as usual
    ],
)
def test_a_brief_command_ends_at_once_with_its_output_and_status_whole(example, args, status, torn_down):
    add_months(example, 30)

    def python(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code.format(args=args)], cwd=example, capture_output=True, text=True
        )

    done = python(AS_A_PROGRAM)
    assert done.returncode == status, done.stderr
    assert ("torn down" in done.stderr) == torn_down
    if args[0] == "build":  # every month written whole, every line printed
        months = sorted(path.name for path in (example / "campaigns").iterdir())
        assert done.stdout.endswith("\nbuilt 31, up to date 0, failed 0\n") == (status == 0)
        workspace = Workspace(example)
        assert all(state(workspace, month)[0] == "built" for month in months) == (status == 0)
    else:  # what the command prints when Python ends as usual
        assert done.stdout == python(AS_A_LIBRARY).stdout


def test_css_inline_is_loaded_without_the_email_package_which_is_left_whole():
    code = (
        "import sys\nfrom monthlypost.render.email import compile_mjml\n"
        'html = compile_mjml(\'<mjml><mj-head><mj-style inline="inline">p { color: red }</mj-style></mj-head>'
        "<mj-body><mj-raw><p>x</p></mj-raw></mj-body></mjml>')\n"
        "assert 'email.utils' not in sys.modules, 'loaded'\n"
        "assert 'color: red;\">x</p>' in html, html\n"
        "import email.utils, css_inline\n"
        "assert email.utils.format_datetime and email.utils is sys.modules['email.utils']\n"
        "assert css_inline.CSSInliner().inline('<p>x</p>')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_benchmark_script_runs(tmp_path):
    """CI runs benchmarks/run.py only as this smoke test: its figures are not asserted (machines are noisy)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).parent.parent / "benchmarks/run.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "one month, every file" in done.stdout and "12 months, nothing changed" in done.stdout
    assert re.search(r"≤ 1\.10× import floor\s+(met|NOT MET)", done.stdout)
    assert re.search(r"preview: save → reload\s+\d+ms  p95 \d+ms", done.stdout)
