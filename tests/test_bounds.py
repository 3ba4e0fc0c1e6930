"""The second hostile round (issue 20): folders that start like a month's, a full disk, merge tags, and the
bounds on what a workspace can make monthlypost do: no command busy for long, nothing written by check.

The corpus in test_safety.py holds the inputs that are refused (nested too deeply, too costly to read, a
template making too much); this file what is not a plain refusal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import run

TOPIC = "campaigns/2024-04/topic.toml"
SCRIPT = "campaigns/2024-04/script.md"


def month_like(root: Path, name: str) -> Path:
    """A copy of the example month under ``name``, in campaigns/."""
    folder = root / "campaigns" / name
    shutil.copytree(root / "campaigns/2024-04", folder)
    return folder


# --- Folders that start like a month's -------------------------------------------------------------------


MISNAMED = {
    "2024-13": "is not a month: 13 is no month of the year",
    "2024-00-bonus": "is not a month: 00 is no month of the year",
    "2024-06 copy": "starts like a month but is not one",
    "2024-06-": "has nothing after its last '-'",
    "0000-06": "is not a month: there is no year 0000",
}


@pytest.mark.parametrize("name", MISNAMED)
@pytest.mark.parametrize("args", [("build",), ("build", "--all"), ("check", "--all"), ("list",)])
def test_a_folder_misnamed_as_a_month_is_an_error_naming_it_and_the_months_go_on(example, name, args):
    month_like(example, name)
    result = run(*args)
    assert result.exit_code == 1
    assert f"Error: campaigns/{name}: {MISNAMED[name]}" in result.stderr, result.stderr
    assert "a month's folder is named YYYY-MM or YYYY-MM-any-slug" in result.stderr
    assert "Traceback" not in result.output
    if args[0] == "build":
        assert (example / "dist/2024-04/post.html").exists()  # the month it could read was built
        assert [p.name for p in (example / "dist").iterdir()] == ["2024-04"]
    if args[0] == "list":
        assert "2024-04" in result.stdout
    if args[0] == "check":
        assert "2024-04: ok" in result.stdout


def test_a_month_named_on_the_command_line_is_not_held_up_by_a_misnamed_folder(example):
    month_like(example, "2024-13")
    result = run("build", "2024-04")
    assert result.exit_code == 0, result.output
    assert "2024-13" not in result.output


def test_a_month_asked_for_by_a_misnamed_folders_name_says_why_it_is_not_one(example):
    month_like(example, "2024-06 copy")
    result = run("build", "2024-06")
    assert result.exit_code == 1
    assert "Error: campaigns/2024-06: no folder for 2024-06" in result.stderr
    assert "Error: campaigns/2024-06 copy: starts like a month but is not one" in result.stderr


@pytest.mark.parametrize("name", ["2024-06-café", "2024-06--", "2024-06-Hüften_und_Knie", "2024-06-2"])
def test_any_slug_makes_a_month(example, name):
    month_like(example, name)
    result = run("build", "2024-06")
    assert result.exit_code == 0, result.output
    assert (example / "dist/2024-06/post.html").exists()
    listed = run("list")
    assert listed.exit_code == 0 and "2024-06" in listed.stdout


def test_a_file_named_like_a_month_beside_the_months_is_not_one(example):
    month_like(example, "2024-06-knees")
    (example / "campaigns/2024-06-notes.txt").write_text("ideas for June")
    (example / "campaigns/2024-13 budget.ods").write_bytes(b"PK")
    result = run("build", "--all")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (example / "dist").iterdir()) == ["2024-04", "2024-06"]
