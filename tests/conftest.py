"""Shared fixtures: a fresh copy of the example workspace, and the CLI as a user runs it."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monthlypost.cli import cli

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current outputs instead of comparing.",
    )


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


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, to show that a failed command changed nothing."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
