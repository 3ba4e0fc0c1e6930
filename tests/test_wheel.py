"""The installed package works on its own: a wheel in a fresh virtual environment, outside the repository."""

import shutil
import subprocess
import sys
import venv
import zipfile

from .conftest import ARCHIVED, REPO


def test_the_wheel_ships_the_templates_and_builds_a_workspace(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "wheels"), str(REPO)],
        check=True,
    )
    (wheel,) = (tmp_path / "wheels").glob("monthlypost-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for template in (REPO / "templates").iterdir():
        assert f"monthlypost/templates/{template.name}" in names
    for part in ("page.html", "preview.css", "preview.js"):  # the preview's own page
        assert f"monthlypost/preview/{part}" in names

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True)

    workspace = tmp_path / "elsewhere"
    workspace.mkdir()
    shutil.copy(REPO / "monthlypost.toml", workspace)
    shutil.copytree(REPO / "campaigns", workspace / "campaigns")
    result = subprocess.run(
        [str(env / "bin" / "monthlypost"), "build", "2024-04"],
        cwd=workspace,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2024-04: built dist/2024-04\n" + ARCHIVED
    golden = REPO / "tests/golden/2024-04/youtube.txt"
    assert (workspace / "dist/2024-04/youtube.txt").read_text() == golden.read_text()
    assert "<h1>Why Your Hip Pain Keeps Coming Back</h1>" in (workspace / "dist/2024-04/post.html").read_text()
