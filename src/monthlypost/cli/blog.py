"""The blog: push each month's post onto the author's site, and restore one from its backup."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monthlypost.cli.base import (
    MONTH,
    State,
    backup_option,
    cli,
    confirmer,
    months_arguments,
    one_at_a_time,
    result_printer,
    selected,
    show_diff,
)

if TYPE_CHECKING:
    from pathlib import Path


@cli.group()
def blog() -> None:
    """Put each month's post on your WordPress or Ghost site, as a draft.

    See the README's "Publishing the post" for the one-time set-up.
    """


BLOG_LINES = {
    "created": "draft created on the site{detail}: open it there to look it over and publish it",
    "recreated": "draft created anew on the site{detail}: open it there to look it over and publish it",
    "updated": "post updated on the site{detail}",
    "restored": "post restored on the site{detail}",
    "unchanged": "unchanged, nothing sent{detail}",
    "would create": "would create a draft post (dry run: nothing sent)",
    "would update": "would update the post (dry run: nothing sent)",
    "skipped": "not updated (you said no)",
    "scheduled": "post scheduled on the site{detail}",
    "unscheduled": "post back to a draft on the site{detail}",
    "failed": "failed",
}
SUMMARY = ("created", "updated", "unchanged", "failed")


@blog.command(name="push")
@months_arguments
@click.option("--dry-run", is_flag=True, help="Read the site and show what would change; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Update changed posts without asking, live ones too.")
@click.option(
    "--schedule", "schedule", flag_value="schedule", help="Schedule the post to go live at the month's publish_at."
)
@click.option("--unschedule", "schedule", flag_value="unschedule", help="Take a scheduled post back to a draft.")
@click.pass_obj
@one_at_a_time
def blog_push(
    state: State, months: tuple[str, ...], every: bool, dry_run: bool, yes: bool, schedule: str | None
) -> None:
    """Put months' posts (default: the newest) on your site.

    Builds stale months first; a month with errors is never pushed. A new
    post is a draft, with its images uploaded once to the media library.
    After a change, shows the difference from the post on the site, asks
    (a live post, or one edited on the site, says so), backs up what is
    there under .monthlypost/blog-backups/, and updates the same post, never
    its status. With nothing changed, nothing is sent. Credentials come from
    the environment only (see the README).
    """
    from monthlypost.publish import blog as publishing
    from monthlypost.publish.flow import counts

    chosen = selected(state, months, every)
    done = result_printer(state, BLOG_LINES)
    confirm = confirmer(yes, "update the post")
    results = publishing.push(state.workspace, chosen, dry_run, confirm, show_diff, done, schedule)
    if len(results) > 1:
        click.echo(counts(results, SUMMARY))
    if any(r.failed for r in results):
        raise SystemExit(1)


@blog.command(name="restore")
@click.argument("month", type=MONTH)
@backup_option("post")
@click.option("--yes", "-y", is_flag=True, help="Restore without asking.")
@click.pass_obj
@one_at_a_time
def blog_restore(state: State, month: str, backup: Path | None, yes: bool) -> None:
    """Put back MONTH's post from a backup, backing up what the site holds first."""
    from monthlypost.publish import blog as publishing

    done = result_printer(state, BLOG_LINES)
    result = publishing.restore(state.workspace, month, backup, confirmer(yes, "restore the post"), show_diff, done)
    if result.failed:
        raise SystemExit(1)
