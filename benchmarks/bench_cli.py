"""How long the everyday commands take, as ratios to a bare Python start-up.

Run:  python benchmarks/bench_cli.py [--runs N]

Machines here are shared and noisy, so absolute times mean little; the ratio
of each command to `python -c pass`, measured in the same batch and
interleaved, is what to compare between changes. It also reports whether
Google's client library was imported (it must not be, outside `youtube`).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "monthlypost --help": [sys.executable, "-m", "monthlypost", "--help"],
    "monthlypost list": [sys.executable, "-m", "monthlypost", "list"],
    "monthlypost check": [sys.executable, "-m", "monthlypost", "check"],
    "monthlypost build --force": [sys.executable, "-m", "monthlypost", "build", "--force"],
    "monthlypost build (up to date)": [sys.executable, "-m", "monthlypost", "build"],
}

GOOGLE_PROBE = (
    "import sys; from monthlypost.cli import cli\n"
    "try: cli(['build', '--force'])\nexcept SystemExit: pass\n"
    "print('GOOGLE', sorted({m.split('.')[0] for m in sys.modules if m.startswith(('google', 'googleapiclient'))}))"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        shutil.copy(REPO / "monthlypost.toml", workspace)
        shutil.copytree(REPO / "campaigns", workspace / "campaigns")
        subprocess.run(COMMANDS["monthlypost build --force"], cwd=workspace, check=True, capture_output=True)

        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.runs):  # interleaved, so load on the machine hits every command alike
            for name, command in COMMANDS.items():
                start = time.perf_counter()
                subprocess.run(command, cwd=workspace, check=True, capture_output=True)
                times[name].append(time.perf_counter() - start)

        probe = subprocess.run([sys.executable, "-c", GOOGLE_PROBE], cwd=workspace, capture_output=True, text=True)

    baseline = statistics.median(times["python -c pass (baseline)"])
    print(f"{'command':<34} {'median':>9} {'× baseline':>11}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<34} {median * 1000:>7.1f}ms {median / baseline:>10.2f}×")
    found = [line.removeprefix("GOOGLE ") for line in probe.stdout.splitlines() if line.startswith("GOOGLE ")]
    print(f"\nGoogle modules imported by build: {found[0] if found else probe.stderr.strip()}")


if __name__ == "__main__":
    main()
