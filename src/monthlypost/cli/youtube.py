"""YouTube: login, push and restore the months' descriptions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from monthlypost.cli.base import (
    FILE,
    MONTH,
    State,
    as_path,
    backup_option,
    cli,
    confirmer,
    display_path,
    months_arguments,
    one_at_a_time,
    plural,
    printable,
    report,
    selected,
    show_diff,
)

if TYPE_CHECKING:
    from pathlib import Path


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
    from monthlypost.publish.youtube import QUOTA_RESET, Ledger

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
    if outcome.stopped or any(r.failed for r in outcome.results):
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
@click.option(
    "--thumbnail",
    is_flag=True,
    help="Set the month's youtube-thumbnail.jpg (from its thumbnail.jpg) as the video's thumbnail too.",
)
@click.option(
    "--schedule",
    "schedule",
    flag_value="schedule",
    help="Schedule the video (private until then) to go public at the month's publish_at.",
)
@click.option(
    "--unschedule",
    "schedule",
    flag_value="unschedule",
    help="Take the video's schedule off; it stays private.",
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
    thumbnail: bool,
    schedule: str | None,
    ignore_quota_block: bool,
) -> None:
    """Put months' descriptions (default: the newest) on their videos.

    Builds stale months first; a month with errors is never pushed. Shows
    what changes and asks first. Reads each video again right before
    changing it, and leaves it alone if it changed on YouTube meanwhile;
    backs up that read under .monthlypost/youtube-backups/ (with a copy of
    the thumbnail it replaces, with --thumbnail). An unchanged description
    or thumbnail sends nothing.
    """
    from monthlypost.publish import youtube as yt

    selection = selected(state, months, every)
    outcome = yt.push(
        state.workspace,
        selection,
        dry_run,
        confirmer(yes, "push"),
        show_diff,
        result_line(state),
        localize=localizations,
        ignore_quota_block=ignore_quota_block,
        thumbnail=thumbnail,
        schedule=schedule,
    )
    print_youtube(state, outcome)


@youtube.command()
@click.argument("month", type=MONTH)
@backup_option("video")
@click.option("--yes", "-y", is_flag=True, help="Restore without asking.")
@click.option("--thumbnail", is_flag=True, help="Put back the thumbnail the backup keeps a copy of too.")
@ignore_quota_block
@click.pass_obj
@one_at_a_time
def restore(
    state: State, month: str, backup: Path | None, yes: bool, thumbnail: bool, ignore_quota_block: bool
) -> None:
    """Put back MONTH's video description from a backup, backing up the current one first."""
    from monthlypost.publish import youtube as yt

    outcome = yt.restore(
        state.workspace,
        month,
        backup,
        confirmer(yes, "restore"),
        show_diff,
        result_line(state),
        ignore_quota_block=ignore_quota_block,
        thumbnail=thumbnail,
    )
    print_youtube(state, outcome)
