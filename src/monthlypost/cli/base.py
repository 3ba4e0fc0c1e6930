"""The command group, and what its commands share: the workspace, months as arguments, how problems,
progress, questions and diffs are printed, and one writing command at a time."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from monthlypost import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from monthlypost.errors import Problem
    from monthlypost.workspace import Workspace


class Month(click.ParamType):
    name = "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from monthlypost.workspace import parse_month

        try:
            return parse_month(str(value))
        except ValueError as err:
            self.fail(str(err), param, ctx)


MONTH = Month()
FOLDER = click.Path(file_okay=False)  # each click.Path looks up a translation of its name when made: made once
FILE = click.Path(dir_okay=False)


class Cli(click.Group):
    """Turns a MonthlypostError into 'Error: FILE: what is wrong' lines and exit 1, in one place."""

    command_run: str | None = None  # the subcommand given, for how the program ends (monthlypost.main)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        self.command_run = command.name if command else name
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            done = super().invoke(ctx)
            if isinstance(ctx.obj, State) and ctx.obj.failed:  # misnamed month folders: the rest went on
                ctx.exit(1)
            return done
        except Exception as err:
            from monthlypost.errors import MonthlypostError  # only now: --help never needs it

            if not isinstance(err, MonthlypostError) or ctx.params.get("debug"):
                raise
            report(err.problems)
            ctx.exit(1)


class State:
    """What the commands share: the workspace, found only when a command needs it."""

    def __init__(self, explicit: Path | None):
        self.explicit = explicit
        self.reported: set[str] = set()
        self.failed = False  # something was reported as an error, though the command went on

    def misnamed(self) -> None:
        """Report the folders in campaigns/ that start like a month's but are not one (the months go on)."""
        problems = self.workspace.misnamed
        if problems:
            report(problems, self.reported)
            self.failed = True

    @cached_property
    def workspace(self) -> Workspace:
        from monthlypost.workspace import Workspace

        return Workspace.locate(self.explicit)


def as_path(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """A path option as a Path (pathlib is imported only when one is given, not for --help)."""
    from pathlib import Path

    return None if value is None else Path(value)


def display_path(path: Path | str) -> str:
    from monthlypost.errors import display_path

    return display_path(path)


def printable(text: str) -> str:
    from monthlypost.errors import printable

    return printable(text)


def report(problems: Iterable[Problem], seen: set[str] | None = None) -> None:
    """Print problems to stderr, each once (settings warnings recur for every month)."""
    seen = set() if seen is None else seen
    for problem in problems:
        line = f"{problem.severity.capitalize()}: {problem}"
        if line not in seen:
            seen.add(line)
            click.echo(line, err=True)


class Progress:
    """Months worked through: a progress bar at a terminal, with the lines printed when it ends; the
    lines as they come anywhere else. With more than one month, a summary line closes it."""

    def __init__(self, state: State, label: str, months: list[str]):
        self.state = state
        self.months = len(months)
        self.bar: Any = None
        if self.months > 1 and sys.stderr.isatty():
            self.bar = click.progressbar(length=self.months, label=label, file=sys.stderr, show_pos=True)
        self.lines: list[tuple[str, bool]] = []
        self.counts: dict[str, int] = {}

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
            for line, err in self.lines:
                click.echo(line, err=err)

    def say(self, line: str, err: bool = False) -> None:
        if self.bar is None:
            click.echo(line, err=err)
        else:
            self.lines.append((line, err))

    def done(self, problems: Iterable[Problem], kind: str, line: str | None, err: bool = False) -> None:
        """One month's problems and line; ``kind`` is what the summary counts it as."""
        for problem in problems:
            shown = f"{problem.severity.capitalize()}: {problem}"
            if shown not in self.state.reported:
                self.state.reported.add(shown)
                self.say(shown, err=True)
        if line is not None:
            self.say(line, err)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.bar is not None:
            self.bar.update(1)

    def summary(self, *kinds: str) -> str | None:
        """'built 3, up to date 117, failed 0', when more than one month was worked on."""
        if self.months < 2:
            return None
        return ", ".join(f"{kind} {self.counts.get(kind, 0)}" for kind in kinds)


def one_at_a_time(command: Callable[..., None]) -> Callable[..., None]:
    """For a command that writes the workspace's outputs or state: it runs while no other such command
    does in the same workspace (two builds at once would each find the other's outputs in their way);
    one that is running is waited for, and the user told so."""

    @functools.wraps(command)
    def run(state: State, *args: Any, **kwargs: Any) -> None:
        with state.workspace.one_at_a_time(waiting):
            command(state, *args, **kwargs)

    return run


def waiting(process: int | None) -> None:
    other = f"another monthlypost (process {process})" if process else "another monthlypost command"
    click.echo(f"Waiting for {other} to finish with this workspace…", err=True)


def months_arguments(f: Any) -> Any:
    f = click.option("--all", "every", is_flag=True, help="Every month in campaigns/.")(f)
    return click.argument("months", nargs=-1, type=MONTH)(f)


def selected(state: State, months: tuple[str, ...], every: bool) -> list[str]:
    if months and every:
        raise click.UsageError("name months or use --all, not both")
    chosen = state.workspace.select(months, every)
    if not months:  # --all, or the newest: a folder meant as a month, misnamed, is said
        state.misnamed()
    return chosen


def built(state: State, month: str) -> Any:
    """The month's outputs (a build.Outcome), built first if stale; its errors stop the command."""
    from monthlypost.build import build as build_months

    (outcome,) = build_months(state.workspace, [month])
    report(outcome.problems, state.reported)
    if outcome.status == "failed":
        click.echo(f"{month}: not built, so nothing was sent", err=True)
        raise SystemExit(1)
    if outcome.status == "built":
        click.echo(f"{month}: built {display_path(outcome.target)}")
    return outcome


def email_addresses(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    from monthlypost.config import EMAIL_ADDRESS

    for value in values:
        if not EMAIL_ADDRESS.fullmatch(value):
            raise click.BadParameter(f"'{value}' is not an email address", ctx, param)
    return list(values)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__,
    "--version",
    prog_name="monthlypost",
    message="%(prog)s, version %(version)s",  # given, as click would otherwise look up a translation at every start
    help="Show the version and exit.",
)
@click.option(
    "-w",
    "--workspace",
    type=FOLDER,
    callback=as_path,
    envvar="MONTHLYPOST_WORKSPACE",
    help="The workspace folder (default: the nearest one holding monthlypost.toml).",
)
@click.option("--debug", is_flag=True, help="Show a full traceback when something fails.")
@click.pass_context
def cli(ctx: click.Context, workspace: Path | None, debug: bool) -> None:
    """Turn one month's video script into a blog post, an email newsletter and a
    YouTube description.

    \b
    Start with:  monthlypost init        a new workspace
                 monthlypost build       the newest month's outputs, in dist/
    """
    ctx.obj = State(workspace)


def confirmer(yes: bool, action: str) -> Callable[[str, str], bool]:
    """Ask before changing something outside (a video, a draft, a post): --yes says yes; with no terminal to ask
    on, stop. The confirmation takes the month and the question to ask."""

    def confirm(month: str, question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            from monthlypost.errors import MonthlypostError

            raise MonthlypostError.at(
                None,
                f"{month}: no terminal to ask on, so nothing was sent; "
                f"rerun with --yes to {action} without asking (or --dry-run to see the changes only)",
            )
        return click.confirm(question, default=False)

    return confirm


def echo_columns(rows: list[tuple[str, ...]]) -> None:
    """Rows of cells as aligned columns, the first row the heading; shown printable."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo(printable("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()))


def show_diff(diff: str) -> None:
    """A unified diff, coloured at a terminal (click leaves the colours out anywhere else); what YouTube
    holds is shown printable, escape characters and all."""
    for line in map(printable, diff.splitlines()):
        if line.startswith(("+++", "---")):
            click.secho(line, bold=True)
        elif line.startswith("@@"):
            click.secho(line, fg="cyan")
        else:
            click.secho(line, fg={"+": "green", "-": "red"}.get(line[:1]))


def result_printer(state: State, lines: dict[str, str], **words: str) -> Callable[[Any], None]:
    """Print a publishing flow's month the moment it is known: its problems, then its line, from ``lines``
    (by status; {detail} and ``words`` filled in). A failure's own detail replaces its line."""

    def done(result: Any) -> None:
        report(result.problems, state.reported)
        detail = f" ({result.detail})" if result.detail and result.status != "failed" else ""
        line = lines.get(result.status, result.status).format(detail=printable(detail), **words)
        if result.status == "failed" and result.detail:
            line = printable(result.detail)
        click.echo(f"{result.month}: {line}", err=result.status in ("failed", "changed"))

    return done


def backup_option(what: str) -> Callable[[Any], Any]:
    """--backup FILE: which backup a restore puts back (default: the newest of ``what``)."""
    return click.option(
        "--backup",
        type=click.Path(exists=True, dir_okay=False),
        callback=as_path,
        help=f"The backup to restore (default: the {what}'s newest).",
    )
