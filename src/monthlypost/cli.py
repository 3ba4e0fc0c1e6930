"""The command line: parse arguments, call the library, print. Nothing else.

Only click is imported here; each command imports what it uses, so --help,
--version and list stay as quick as Python starting up (benchmarks/run.py).
"""

from __future__ import annotations

import functools
import sys
from collections import Counter
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
            return super().invoke(ctx)
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
    return state.workspace.select(months, every)


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


@cli.command()
@click.argument("directory", default=".", type=FOLDER, callback=as_path)
def init(directory: Path) -> None:
    """Create a workspace in DIRECTORY (default: here) with a starter month.

    Nothing that exists is ever overwritten.
    """
    import shlex

    from monthlypost.scaffold import init_workspace
    from monthlypost.workspace import current_month

    for path in init_workspace(directory, current_month()):
        click.echo(f"created {display_path(path)}")
    there = display_path(directory)
    step = "" if there in ("", ".") else f"cd {shlex.quote(there)}, "
    click.echo(
        f"Next: {step}fill in monthlypost.toml and the month's topic.toml and script.md, then run 'monthlypost build'."
    )


@cli.command()
@click.argument("month", type=MONTH)
@click.option("--title", help="The video's title, written into topic.toml.")
@click.pass_obj
def new(state: State, month: str, title: str | None) -> None:
    """Start campaigns/MONTH with a topic.toml and script.md to fill in."""
    from monthlypost.scaffold import new_month

    for path in new_month(state.workspace, month, title):
        click.echo(f"created {display_path(path)}")


@cli.command(name="list")
@click.pass_obj
def list_months(state: State) -> None:
    """The months, each with its state (not built, built, stale, pushed) and title."""
    from monthlypost.campaign import peek_title
    from monthlypost.errors import MonthlypostError
    from monthlypost.published import Published

    workspace = state.workspace
    months = workspace.months()
    if not months:
        click.echo("No months yet; run 'monthlypost new YYYY-MM' to start one.")
        return
    failed = False
    rows = []
    published = Published(workspace)
    for month, folder in months.items():
        title = peek_title(folder) or f"(no title: run 'monthlypost check {month}')"
        try:
            shown, email = published.month(month)
        except MonthlypostError as err:
            report(err.problems, state.reported)
            shown, email, failed = "unknown", None, True
        rows.append((month, shown, email, title))
    drafts = any(email for _, _, email, _ in rows)  # the email column only once a draft was pushed
    for month, shown, email, title in rows:
        column = f"  {'email ' + email if email else '':<18}" if drafts else ""
        click.echo(f"{month}  {shown:<9}{column}  {printable(title)}")  # a direction override turns no line
    if failed:
        raise SystemExit(1)


@cli.command()
@months_arguments
@click.pass_obj
def check(state: State, months: tuple[str, ...], every: bool) -> None:
    """Check months (default: the newest) and print every problem; write nothing.

    Exits with status 1 if any month has an error.
    """
    from monthlypost.build import render_month

    chosen = selected(state, months, every)
    with Progress(state, "Checking", chosen) as progress:
        for month in chosen:
            rendered = render_month(state.workspace, month)
            if rendered.ok:
                warnings = len(rendered.problems.warnings)
                line = f"{month}: ok" + (f" ({plural(warnings, 'warning')})" if warnings else "")
                progress.done(rendered.problems, "ok", line)
            else:
                line = f"{month}: {plural(len(rendered.problems.errors), 'error')}"
                progress.done(rendered.problems, "failed", line)
    summary = progress.summary("ok", "failed")
    if summary:
        click.echo(summary)
    if progress.counts.get("failed"):
        raise SystemExit(1)


@cli.command()
@months_arguments
@click.option(
    "--out",
    type=FOLDER,
    callback=as_path,
    help="Write into OUT/YYYY-MM instead of dist/YYYY-MM.",
)
@click.option("--force", is_flag=True, help="Rebuild even if up to date, replacing outputs edited by hand.")
@click.pass_obj
@one_at_a_time
def build(state: State, months: tuple[str, ...], every: bool, out: Path | None, force: bool) -> None:
    """Check and build months (default: the newest) into dist/YYYY-MM/.

    A month with errors is not written; its previous outputs stay as they were.
    """
    from monthlypost.build import build as build_months

    chosen = selected(state, months, every)
    with Progress(state, "Building", chosen) as progress:
        for outcome in build_months(state.workspace, chosen, out, force, keep_files=False):
            where = display_path(outcome.target)
            if outcome.status == "built":
                progress.done(outcome.problems, "built", f"{outcome.month}: built {where}")
            elif outcome.status == "up to date":
                # at a terminal the summary says it; each of 120 months saying so would bury the rest
                line = None if progress.bar else f"{outcome.month}: up to date in {where} (--force rebuilds it)"
                progress.done(outcome.problems, "up to date", line)
            else:
                progress.done(outcome.problems, "failed", f"{outcome.month}: not built", err=True)
    summary = progress.summary("built", "up to date", "failed")
    if summary:
        click.echo(summary)
    if progress.counts.get("failed"):
        raise SystemExit(1)


@cli.command()
@click.argument("month", type=MONTH, required=False)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="The port to serve on (the next free one if it is taken).",
)
@click.option("--no-open", is_flag=True, help="Do not open a browser; just print the address.")
@click.pass_obj
def preview(state: State, month: str | None, port: int, no_open: bool) -> None:
    """See MONTH (default: the newest) as its readers will, live in a browser.

    Serves the blog post, the email at desktop and phone widths (images on and
    off), the plain text, the YouTube description and the inbox line on
    127.0.0.1, rebuilt in memory as you save the month's files, templates or
    monthlypost.toml: open pages reload by themselves. dist/ is left alone.
    Ctrl-C stops it.
    """
    from monthlypost.preview import serve

    (chosen,) = state.workspace.select((month,) if month else (), False)
    try:
        serve(state.workspace.root, chosen, port, not no_open, click.echo)
    except KeyboardInterrupt:
        click.echo("Preview stopped.")


@cli.command(name="send-test")
@click.argument("month", type=MONTH)
@click.option(
    "--to",
    "recipients",
    multiple=True,
    required=True,
    metavar="ADDRESS",
    callback=email_addresses,
    help="Who receives the test (repeat --to for more).",
)
@click.pass_obj
@one_at_a_time
def send_test(state: State, month: str, recipients: list[str]) -> None:
    """Send MONTH's newsletter, subject marked [TEST], through your [smtp] server.

    Builds the month first if it is stale. The password comes from the
    environment variable MONTHLYPOST_SMTP_PASSWORD.
    """
    from monthlypost.sending import send_test as send

    outcome = built(state, month)
    send(state.workspace.settings, outcome.files["newsletter.eml"], recipients)
    smtp = state.workspace.settings.smtp
    assert smtp is not None
    click.echo(f"{month}: test sent to {', '.join(recipients)} through {smtp.host}:{smtp.port}")


@cli.group()
def email() -> None:
    """Put each month's newsletter into your mail provider as a draft.

    See the README's "Publishing the newsletter" for each provider's key and list.
    """


EMAIL_LINES = {
    "created": "draft created in {provider}{detail}: open it there to look it over and send it",
    "recreated": "draft created anew in {provider}{detail}: open it there to look it over and send it",
    "updated": "draft updated in {provider}{detail}: open it there to look it over and send it",
    "unchanged": "unchanged, nothing sent{detail}",
    "would create": "would create a draft (dry run: nothing sent)",
    "would update": "would update the draft (dry run: nothing sent)",
    "skipped": "not updated (you said no)",
    "failed": "failed, nothing sent",
}


@email.command(name="push")
@months_arguments
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing that writes.")
@click.option("--yes", "-y", is_flag=True, help="Update changed drafts without asking.")
@click.option(
    "--test-to",
    "test_to",
    multiple=True,
    metavar="ADDRESS",
    callback=email_addresses,
    help="Then have the provider send a test of the draft here (repeat for more).",
)
@click.pass_obj
@one_at_a_time
def email_push(
    state: State, months: tuple[str, ...], every: bool, dry_run: bool, yes: bool, test_to: list[str]
) -> None:
    """Put months' newsletters (default: the newest) into your mail provider as drafts.

    Builds stale months first; a month with errors is never pushed. The
    first push creates the draft; after a change, the next shows what
    changes, asks, and updates the same draft; with nothing changed it sends
    nothing. A draft sent or scheduled in the provider is never touched; one
    deleted there is made anew. Nothing is ever sent to your subscribers or
    scheduled. The API key comes from MONTHLYPOST_EMAIL_API_KEY only.
    """
    from monthlypost.publish.mail import push as push_drafts
    from monthlypost.publish.providers import PROVIDERS

    chosen = selected(state, months, every)
    adapter = PROVIDERS.get(state.workspace.settings.email.provider)
    provider = adapter.name if adapter else state.workspace.settings.email.provider

    def done(result: Any) -> None:
        report(result.problems, state.reported)
        detail = f" ({result.detail})" if result.detail and result.status != "failed" else ""
        line = EMAIL_LINES[result.status].format(provider=provider, detail=printable(detail))
        if result.status == "failed" and result.detail:
            line = printable(result.detail)
        click.echo(f"{result.month}: {line}", err=result.status == "failed")

    ask = confirmer(yes, "update the draft", "Update the draft of {month}'s newsletter with these changes?")
    results = push_drafts(state.workspace, chosen, dry_run, list(test_to), ask, show_diff, done)
    if any(r.status == "failed" or any(p.severity == "error" for p in r.problems) for r in results):
        raise SystemExit(1)  # a test the provider refused too: the draft is there, the test is not


@cli.group()
def youtube() -> None:
    """Put each month's description on its video: login, push, restore.

    See the README's "Publishing to YouTube" for creating the OAuth client.
    """


@youtube.command()
@click.option("--no-browser", is_flag=True, help="Print the sign-in address instead of opening a browser.")
@click.option(
    "--client-secrets",
    type=FILE,
    callback=as_path,
    help="The OAuth client file (default: [youtube] client_secrets, or client_secret.json).",
)
@click.option("--port", type=click.IntRange(1, 65535), help="The local port Google sends you back to.")
@click.pass_obj
def login(state: State, no_browser: bool, client_secrets: Path | None, port: int | None) -> None:
    """Sign in to YouTube with Google and save the login (readable only by you)."""
    from monthlypost.errors import MonthlypostError
    from monthlypost.publish import youtube as yt

    settings = state.workspace.settings
    secrets = client_secrets or settings.resolve(settings.youtube.client_secrets)
    path = yt.login(settings, secrets, not no_browser, port or yt.free_port(), click.echo)
    click.echo(f"Logged in. The login is saved in {display_path(path)}, readable only by you.")
    try:
        title = yt.YouTube(settings, state.workspace.state).channel_title()
    except MonthlypostError as err:  # the login itself worked; only the check after it did not
        for problem in err.problems:
            click.echo(f"Warning: {problem}", err=True)
        click.echo("(Could not read which channel this is; 'monthlypost youtube push --dry-run' will tell.)")
        return
    if title:
        click.echo(f"YouTube channel: {printable(title)}")
    else:
        click.echo("This Google account has no YouTube channel; log in with the channel's account.", err=True)


def confirmer(yes: bool, action: str, question: str) -> Callable[[str], bool]:
    """Ask before changing something outside (a video, a draft): --yes says yes; with no terminal to ask on, stop.

    ``question`` is asked with the month put in for {month}.
    """

    def confirm(month: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            from monthlypost.errors import MonthlypostError

            raise MonthlypostError.at(
                None,
                f"{month}: no terminal to ask on, so nothing was sent; "
                f"rerun with --yes to {action} without asking (or --dry-run to see the changes only)",
            )
        return click.confirm(question.format(month=month), default=False)

    return confirm


LINES = {
    "built": "built",
    "pushed": "pushed",
    "restored": "restored",
    "unchanged": "unchanged, nothing sent",
    "would push": "would push (dry run: nothing sent)",
    "skipped": "not pushed (you said no)",
    "left": "not pushed (quota)",
    "stopped": "not sent (stopped)",
    "changed": "not pushed (changed on YouTube meanwhile)",
    "failed": "failed, nothing sent",
}


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


def result_line(state: State) -> Callable[[Any], None]:
    """Print one month's result the moment it is known: its problems, then a line."""

    def done(result: Any) -> None:
        report(result.problems, state.reported)
        line = f"{result.month}: {LINES[result.status]}"
        if result.units:
            line += f" ({plural(result.units, 'unit')})"
        click.echo(line, err=result.status in ("failed", "changed"))

    return done


SUMMARY = ("pushed", "unchanged", "failed", "restored", "would push", "skipped", "changed", "left", "stopped")
SUMMARY_WORDS = {"changed": "changed on YouTube meanwhile", "left": "left for the quota", "skipped": "not pushed"}


def print_youtube(state: State, outcome: Any) -> None:
    """The units spent, and exit 1 if anything failed or was left."""
    from monthlypost.publish.youtube import FAILED, QUOTA_RESET, Ledger

    months = Counter(r.status for r in outcome.results if r.status != "built")
    if sum(months.values()) > 1:  # one line for a run over many months
        counts = {status: months[status] for status in SUMMARY if months[status] or status in SUMMARY[:3]}
        click.echo(", ".join(f"{SUMMARY_WORDS.get(status, status)} {n}" for status, n in counts.items()))
    ledger = Ledger(state.workspace.state / "youtube-quota.json", state.workspace.settings.youtube.daily_quota)
    click.echo(
        f"YouTube API units: {outcome.units} this time, {ledger.used()} of {ledger.quota} today "
        f"(the day ends at {QUOTA_RESET})"
    )
    if outcome.stopped:
        click.echo(f"Error: {outcome.stopped}", err=True)
    if outcome.stopped or any(r.status in FAILED for r in outcome.results):
        raise SystemExit(1)


ignore_quota_block = click.option(
    "--ignore-quota-block",
    is_flag=True,
    help="Send even though YouTube said earlier today that the quota was used up.",
)


@youtube.command()
@months_arguments
@click.option("--dry-run", is_flag=True, help="Read the videos and show the changes; send nothing.")
@click.option("--yes", "-y", is_flag=True, help="Push without asking.")
@click.option(
    "--localizations",
    is_flag=True,
    help="Make the same change to the lines each translated description shares with this one.",
)
@ignore_quota_block
@click.pass_obj
@one_at_a_time
def push(
    state: State,
    months: tuple[str, ...],
    every: bool,
    dry_run: bool,
    yes: bool,
    localizations: bool,
    ignore_quota_block: bool,
) -> None:
    """Put months' descriptions (default: the newest) on their videos.

    Builds stale months first; a month with errors is never pushed. Shows
    what changes and asks first. Reads each video again right before
    changing it, and leaves it alone if it changed on YouTube meanwhile;
    backs up that read under .monthlypost/youtube-backups/. An unchanged
    description sends nothing.
    """
    from monthlypost.publish import youtube as yt

    selection = selected(state, months, every)
    outcome = yt.push(
        state.workspace,
        selection,
        dry_run,
        confirmer(yes, "push", "Push this description to {month}'s video?"),
        show_diff,
        result_line(state),
        localize=localizations,
        ignore_quota_block=ignore_quota_block,
    )
    print_youtube(state, outcome)


@youtube.command()
@click.argument("month", type=MONTH)
@click.option(
    "--backup",
    type=click.Path(exists=True, dir_okay=False),
    callback=as_path,
    help="The backup to restore (default: the video's newest).",
)
@click.option("--yes", "-y", is_flag=True, help="Restore without asking.")
@ignore_quota_block
@click.pass_obj
@one_at_a_time
def restore(state: State, month: str, backup: Path | None, yes: bool, ignore_quota_block: bool) -> None:
    """Put back MONTH's video description from a backup, backing up the current one first."""
    from monthlypost.publish import youtube as yt

    outcome = yt.restore(
        state.workspace,
        month,
        backup,
        confirmer(yes, "restore", "Restore this description to {month}'s video?"),
        show_diff,
        result_line(state),
        ignore_quota_block=ignore_quota_block,
    )
    print_youtube(state, outcome)
