"""Shared fixtures: a fresh copy of the example workspace, and the CLI as a user runs it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monthlypost.cli import cli
from monthlypost.system import can_fork

from .wordpress import wordpress, wordpress_site  # noqa: F401 - fixtures: a real WordPress on 127.0.0.1

# The programs the tests start get Ctrl-C (SIGINT) as a terminal's foreground job does, however the suite
# itself was started: run as a background job of a script (`.ci/run &`, beside other work), it inherits SIGINT
# ignored, Python leaves it so, and so would every program it starts: a Ctrl-C test would then see a preview
# that never stops. A handler here (not an ignore) is reset to the default in each program started.
signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
# The months whose outputs are kept in tests/golden/NAME/: the example month, and a month in
# tests/workspaces/knee/ that uses every setting and construct that changes an output.
GOLDEN_MONTHS = {
    "2024-04": (REPO, "2024-04"),
    "knee-2024-05": (REPO / "tests/workspaces/knee", "2024-05"),
    "arabic-2024-06": (REPO / "tests/workspaces/arabic", "2024-06"),  # right to left
}


def built_golden(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A golden month built in a copy of its workspace; its output folder."""
    workspace, month = GOLDEN_MONTHS[name]
    root = tmp_path / "golden-workspace"
    root.mkdir()
    shutil.copy(workspace / "monthlypost.toml", root / "monthlypost.toml")
    shutil.copytree(workspace / "campaigns", root / "campaigns")
    monkeypatch.chdir(root)
    result = run("build", month)
    assert result.exit_code == 0, result.output
    return root / "dist" / month


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current outputs instead of comparing.",
    )


@pytest.fixture(autouse=True)
def user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's config folder (logins, the template cache's key) is a fresh one, never the real one; and
    nothing phonenumbers said in an earlier test is remembered in this one."""
    from monthlypost import phones

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setattr(phones, "_memo", phones._Memo())


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository's example workspace (settings and the April 2024 month), copied; cwd is inside it."""
    root = tmp_path / "workspace"
    root.mkdir()
    shutil.copy(REPO / "monthlypost.toml", root / "monthlypost.toml")
    shutil.copytree(REPO / "campaigns", root / "campaigns")
    monkeypatch.chdir(root)
    for name in (
        "MONTHLYPOST_WORKSPACE",
        "MONTHLYPOST_SMTP_PASSWORD",
        "MONTHLYPOST_YOUTUBE_TOKEN",
        "MONTHLYPOST_YOUTUBE_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return root


def run(*args: str, input: str | None = None) -> Result:
    """monthlypost ARGS, as typed at a terminal; stdout and stderr kept apart."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, input=input)


def monthlypost(root: Path, *args: str) -> subprocess.Popen:
    """monthlypost ARGS in a process of its own, running while the test goes on (its output piped)."""
    command = [sys.executable, "-m", "monthlypost", *args]
    return subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def write(path: Path, text: str) -> Path:
    """Write dedented text, creating folders as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def edit(path: Path, old: str, new: str) -> None:
    """Replace text that must be there (so a test cannot silently edit nothing)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


DEEP = b"[" * 100_000 + b"]" * 100_000  # JSON nested deeper than Python's parser can follow
ARCHIVED = "archive: written in dist (index.html, feed.xml, feed.json, sitemap.xml)\n"  # build's line when it was
EXAMPLE_BLOG = 'url = "https://www.livepainfreeprocess.com/blog/{slug}/"\n'  # the example's [blog] url line


def publish_at(root: Path, value: str, timezone: str = "Europe/London", month: str = "2024-04") -> None:
    """The month's publish_at, in the author's time zone (set too)."""
    edit(root / "campaigns" / month / "topic.toml", "title =", f"publish_at = {value}\ntitle =")
    edit(root / "monthlypost.toml", "[author]\n", f'[author]\ntimezone = "{timezone}"\n')


def no_blog(root: Path) -> None:
    """The example without its [blog] url: no post address, no archive."""
    edit(root / "monthlypost.toml", EXAMPLE_BLOG, "")


def add_blog(root: Path, lines: str) -> None:
    """Settings added to monthlypost.toml's [blog] section (made if there is none); a key it has already
    (the example's url) is replaced."""
    settings = root / "monthlypost.toml"
    text = settings.read_text(encoding="utf-8")
    for key in re.findall(r"(?m)^([A-Za-z_]+) *=", lines):
        if key == "url" and EXAMPLE_BLOG in text:
            text = text.replace(EXAMPLE_BLOG, "")
    text = text.replace("[blog]\n", f"[blog]\n{lines}") if "[blog]\n" in text else f"{text}\n[blog]\n{lines}"
    settings.write_text(text, encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, to show that a failed command changed nothing."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def ordinary_user() -> list[str]:
    """A command prefix that runs a program as an ordinary user would, bound by file permissions.

    As root, that is root without its power to override permissions (setpriv
    drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), so the test's files and
    this Python stay usable while a mode of 000 means what it says. Where that
    is impossible the test skips, saying why; in CI it fails instead.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:  # Windows has no root to step down from
        return []
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    if shutil.which("setpriv") and subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
        return prefix
    reason = "running as root without setpriv (util-linux) to drop the power to override file permissions"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def run_as_user(*args: str) -> subprocess.CompletedProcess[str]:
    """monthlypost ARGS in a new process, as an ordinary user (see ordinary_user)."""
    command = [*ordinary_user(), sys.executable, "-m", "monthlypost", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",  # as root, as CI runs
    "--disable-gpu",
    "--disable-background-networking",  # no calls home: this machine reaches no host but its own
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


needs_fork = pytest.mark.skipif(
    not can_fork(),
    reason="about the worker processes a build forks (Linux), which MONTHLYPOST_FALLBACKS=fork turns off",
)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright (no browser download). Missing: a failure in CI, else a skip."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        reason = (
            "needs Chromium at /usr/bin/chromium (apt-get install chromium) and playwright (pip install -e '.[test]')"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def at_a_terminal(
    root: Path,
    *args: str,
    answer: str | None = None,
    before_answering: Callable[[], None] | None = None,
) -> str:
    """monthlypost ARGS with a real terminal (a pty) for its input and output; what it showed.

    With ``answer``, waits for its [y/N] question, calls ``before_answering``, and types the answer.
    """
    if sys.platform == "win32":
        pytest.skip("needs a pseudo-terminal (pty) for the command's questions, which Windows has not")
    import pty

    main, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "monthlypost", *args], cwd=root, stdin=terminal, stdout=terminal, stderr=terminal
    ) as child:
        os.close(terminal)
        shown = b""
        if answer is not None:
            while b"[y/N]" not in shown:
                shown += os.read(main, 4096)
            if before_answering:
                before_answering()
            os.write(main, answer.encode() + b"\n")
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child has gone and closed its end
                break
            if not chunk:
                break
            shown += chunk
        child.wait(timeout=60)
    os.close(main)
    return shown.decode()


class Page(HTMLParser):
    """An HTML page's tags, with their attributes, and the text of its scripts."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)

    def meta(self, key):
        return [a.get("content") for t, a in self.tags if t == "meta" and key in (a.get("name"), a.get("property"))]
