"""The commands as a new user meets them: init, new, list, help, finding the workspace."""

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from monthlypost import __version__
from monthlypost.cli import cli

from .conftest import ARCHIVED, REPO, edit, run, snapshot, write


def test_init_makes_a_workspace_that_builds_as_it_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("init", "blog")
    assert result.exit_code == 0, result.output
    month = __import__("datetime").date.today().strftime("%Y-%m")
    assert f"created blog/campaigns/{month}/topic.toml" in result.stdout
    assert (tmp_path / "blog/.gitignore").read_text().startswith("# What monthlypost writes")
    assert result.stdout.splitlines()[-1].startswith("Next: cd blog, fill in monthlypost.toml")

    monkeypatch.chdir(tmp_path / "blog")
    result = run("build")
    assert result.exit_code == 0, result.output
    assert f"{month}: built dist/{month}" in result.stdout
    assert "video: still the placeholder" in result.stderr
    assert (tmp_path / f"blog/dist/{month}/post.html").is_file()


def test_init_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("init")
    edit(tmp_path / "monthlypost.toml", "Your Name", "Ana")
    before = snapshot(tmp_path)
    result = run("init")
    assert result.exit_code == 1
    assert result.stderr == "Error: monthlypost.toml: already exists; this is a workspace already\n"
    assert snapshot(tmp_path) == before


def test_init_here_says_no_cd_and_a_folder_with_a_space_is_quoted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("init").stdout.endswith(
        "\nNext: fill in monthlypost.toml and the month's topic.toml and script.md, then run 'monthlypost build'.\n"
    )
    assert "\nNext: cd 'my blog', fill in" in run("init", "my blog").stdout


def test_init_keeps_an_existing_gitignore_and_stops_at_an_existing_month(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gitignore").write_text("mine\n")
    month = __import__("datetime").date.today().strftime("%Y-%m")
    write(tmp_path / f"campaigns/{month}/topic.toml", "precious")
    result = run("init")
    assert result.exit_code == 1
    assert f"campaigns/{month}/topic.toml: already exists; nothing was changed" in result.stderr
    assert not (tmp_path / "monthlypost.toml").exists()  # all or nothing
    assert (tmp_path / ".gitignore").read_text() == "mine\n"
    assert (tmp_path / f"campaigns/{month}/topic.toml").read_text() == "precious"


def test_new_starts_a_month_to_fill_in(example):
    result = run("new", "2024-05", "--title", 'Knee "Pain" Explained')
    assert result.exit_code == 0
    assert result.stdout == "created campaigns/2024-05/topic.toml\ncreated campaigns/2024-05/script.md\n"
    assert 'title = "Knee \\"Pain\\" Explained"' in (example / "campaigns/2024-05/topic.toml").read_text()

    edit(example / "campaigns/2024-05/topic.toml", "https://youtu.be/XXXXXXXXXXX", "https://youtu.be/dQw4w9WgXcQ")
    result = run("build")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: campaigns/2024-05/topic.toml: video_date: not set")  # all it lacks
    assert result.stderr.count("\n") == 1
    assert "<h1>Knee &#34;Pain&#34; Explained</h1>" in (example / "dist/2024-05/post.html").read_text()


def test_new_never_overwrites_a_month(example):
    before = snapshot(example)
    result = run("new", "2024-04")
    assert result.exit_code == 1
    assert result.stderr == "Error: campaigns/2024-04: 2024-04 already exists; nothing was changed\n"
    assert snapshot(example) == before


def test_list_shows_each_month_with_its_state(example):
    run("new", "2024-05")
    write(example / "campaigns/2024-06/topic.toml", "title = ")
    assert run("list").stdout == (
        "2024-04  not built  Why Your Hip Pain Keeps Coming Back\n"
        "2024-05  not built  Title of this month's video\n"
        "2024-06  not built  (no title: run 'monthlypost check 2024-06')\n"
    )
    run("build", "2024-04")
    assert run("list").stdout.splitlines()[0] == "2024-04  built      Why Your Hip Pain Keeps Coming Back"
    edit(example / "campaigns/2024-04/script.md", "Enjoy", "Do enjoy")
    assert run("list").stdout.splitlines()[0] == "2024-04  stale      Why Your Hip Pain Keeps Coming Back"


def test_list_shows_a_direction_override_in_a_title_as_its_escape(example):
    edit(example / "campaigns/2024-04/topic.toml", "Why Your Hip", "Why \u202eYour Hip")
    assert run("list").stdout == "2024-04  not built  Why \\u202eYour Hip Pain Keeps Coming Back\n"


def test_list_with_no_months(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "monthlypost.toml", '[author]\nname = "Ana"\n')
    assert run("list").stdout == "No months yet; run 'monthlypost new YYYY-MM' to start one.\n"


def test_the_workspace_is_found_from_a_subfolder(example, monkeypatch):
    monkeypatch.chdir(example / "campaigns/2024-04")
    result = run("build")
    assert result.exit_code == 0
    dist = example.resolve() / "dist"
    assert result.stdout == f"2024-04: built {dist / '2024-04'}\n" + ARCHIVED.replace("in dist", f"in {dist}")


def test_workspace_option_and_environment_variable(example, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("-w", str(example), "check").exit_code == 0
    monkeypatch.setenv("MONTHLYPOST_WORKSPACE", str(example))
    assert run("check").exit_code == 0


def test_no_workspace_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: no monthlypost.toml in {tmp_path.resolve()} or any parent; run 'monthlypost init' to create one\n"
    )


def test_a_workspace_option_without_settings(tmp_path):
    result = run("-w", str(tmp_path), "list")
    assert result.exit_code == 1
    assert f"no monthlypost.toml in {tmp_path}" in result.stderr


def test_version():
    assert run("--version").stdout == f"monthlypost, version {__version__}\n"


def every_command(group=cli, path=()):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


def test_every_command_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    names = [" ".join(path) for path, _ in every_command()]
    assert {"youtube login", "youtube push", "youtube restore", "send-test"} <= set(names)
    for path, command in every_command():
        assert command.help, path
        assert run(*path, "--help").exit_code == 0
        assert f"monthlypost {' '.join(path)}" in readme, f"README does not show 'monthlypost {' '.join(path)}'"


def test_python_dash_m_runs_the_cli(example):
    result = subprocess.run([sys.executable, "-m", "monthlypost", "check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2024-04: ok\n"


def test_python_dash_m_imports_nothing_from_the_workspace(example, tmp_path):
    """A user's own secrets.py or email.py beside monthlypost.toml is not taken for Python's, nor click.py for click."""
    names = ["secrets", "email", "json", "click", "jinja2", "markdown_it", "mjml", "css_inline", "tomli"]
    for name in names:
        (example / f"{name}.py").write_text(f"open({str(tmp_path / name)!r}, 'w').close()\n")
    result = subprocess.run([sys.executable, "-m", "monthlypost", "build", "--force"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2024-04: built dist/2024-04\n" + ARCHIVED
    assert (Path(os.environ["XDG_CONFIG_HOME"]) / "monthlypost/template-cache.key").exists()  # secrets was used
    assert [name for name in names if (tmp_path / name).exists()] == []


def test_python_dash_m_runs_in_a_folder_that_was_deleted(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    script = f'cd "{gone}" && rmdir "{gone}" && exec "$0" -m monthlypost --version'
    result = subprocess.run(["sh", "-c", script, sys.executable], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"monthlypost, version {__version__}\n", "")


@pytest.mark.parametrize("command", [["--help"], ["build"], ["check"], ["list"], ["new", "2030-01"]])
def test_build_and_friends_never_import_google(example, command):
    code = (
        "import sys\n"
        "from monthlypost.cli import cli\n"
        f"try:\n    cli({command!r})\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('google', 'googleapiclient', 'httplib2'))\n"
        "print('IMPORTED', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ})
    assert "IMPORTED []" in result.stdout, result.stdout + result.stderr
