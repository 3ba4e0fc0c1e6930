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
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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
    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)

    def run(self) -> None:
        for argv in self.before:
            subprocess.run(argv, cwd=self.cwd, check=True, capture_output=True, env=ENV)
        start = time.perf_counter()
        child = subprocess.Popen(self.argv, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
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


@dataclass
class Target:
    figure: str
    baseline: str | None  # None: an absolute limit on peak memory
    most: float  # the largest ratio (or megabytes) that meets it

    def measure(self, found: dict[str, Command]) -> tuple[str, str, str]:
        """(what was measured, against what, met?)"""
        if self.baseline is None:
            megabytes = max(found[self.figure].peak_kb) / 1024
            return f"{megabytes:.0f} MB", f"≤ {self.most:.0f} MB", "met" if megabytes <= self.most else "NOT MET"
        if self.baseline not in found:
            return "-", f"{self.baseline}: not installed", "not measured"
        ratio = found[self.figure].median / found[self.baseline].median
        return f"{ratio:.2f}×", f"≤ {self.most:.2f}× {self.baseline}", "met" if ratio <= self.most else "NOT MET"


def targets(months: int) -> list[Target]:
    every, unchanged = f"{months} months, every file", f"{months} months, nothing changed"
    return [
        Target("one month, every file", "import floor", 1.25),
        Target("one month, every file", "Pelican, one article", 0.33),
        Target("one month, every file", "JS mjml CLI, newsletter.mjml", 0.25),
        Target("monthlypost --help", "import click", 1.2),
        Target(every, f"Pelican, {months} articles", 0.33),
        Target(every, "import floor", 4.0),
        Target(unchanged, "import floor", 1.5),
        Target(every, None, 60),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="samples of each figure (default 15)")
    parser.add_argument("--quick", action="store_true", help="one sample, 12 months: a smoke test (CI)")
    args = parser.parse_args()
    runs, months = (1, 12) if args.quick else (args.runs, 120)

    with tempfile.TemporaryDirectory() as tmp:
        found = commands(Path(tmp), months)
        for _ in range(runs):  # alternating, so load on the machine falls on every figure alike
            for command in found.values():
                command.run()

    print(f"{'figure':<36} {'median':>9} {'peak':>7}")
    for name, command in found.items():
        print(f"{name:<36} {command.median * 1000:>7.0f}ms {max(command.peak_kb) / 1024:>5.0f}MB")
    missing = [name for name in ("Pelican, one article", "JS mjml CLI, newsletter.mjml") if name not in found]
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
