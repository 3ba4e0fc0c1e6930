"""Making months: init, new, list, check, build."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monthlypost.cli.base import (
    FOLDER,
    MONTH,
    Progress,
    State,
    as_path,
    cli,
    display_path,
    echo_columns,
    months_arguments,
    one_at_a_time,
    plural,
    printable,
    report,
    selected,
)

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


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
    state.misnamed()
    if not months:
        click.echo("No months yet; run 'monthlypost new YYYY-MM' to start one.")
        return
    failed = False
    rows = []
    published = Published(workspace)
    for month, folder in months.items():
        title = peek_title(folder) or f"(no title: run 'monthlypost check {month}')"
        try:
            shown, email, post = published.month(month)
        except MonthlypostError as err:
            report(err.problems, state.reported)
            shown, email, post, failed = "unknown", None, None, True
        rows.append((month, shown, email, post, title))
    drafts = any(row[2] for row in rows)  # the email column only once a draft was pushed
    posts = any(row[3] for row in rows)  # the post column only once a post was pushed
    for month, shown, email, post, title in rows:
        column = f"  {'email ' + email if email else '':<18}" if drafts else ""
        column += f"  {'post ' + post if post else '':<31}" if posts else ""
        click.echo(f"{month}  {shown:<9}{column}  {printable(title)}")  # a direction override turns no line
    if failed:
        raise SystemExit(1)


@cli.command()
@months_arguments
@click.option("--live", is_flag=True, help="Ask YouTube, the site and the mail provider, not the records.")
@click.pass_obj
def status(state: State, months: tuple[str, ...], every: bool, live: bool) -> None:
    """Where each month (default: the newest) stands: its build, email, post and video, side by side.

    From what the last pushes recorded, or with --live from the services
    themselves. Exits with status 1 when a month's channels are out of step
    (a post live before its video, a schedule that did not fire), so it can
    run from cron.
    """
    from monthlypost import status as standing
    from monthlypost.moments import zone

    chosen = selected(state, months, every)
    found = standing.report(state.workspace, chosen, live)
    report(found.problems, state.reported)
    echo_columns(standing.table(found.rows, zone(state.workspace.settings)))
    for row in found.rows:
        for flag in row.flags:
            click.echo(f"{row.month}: out of step: {flag}", err=True)
    if found.out_of_step:
        raise SystemExit(1)


@cli.command()
@months_arguments
@click.pass_obj
def check(state: State, months: tuple[str, ...], every: bool) -> None:
    """Check months (default: the newest) and print every problem; write nothing.

    Exits with status 1 if any month has an error.
    """
    from monthlypost.build import render_month

    state.workspace.read_only = True  # check writes nothing: not even the template cache
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
    if state.workspace.settings.blog.url is None:
        from monthlypost.archive import no_address

        report([no_address(state.workspace)], state.reported)
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
    outcomes = []
    with Progress(state, "Building", chosen) as progress:
        for outcome in build_months(state.workspace, chosen, out, force, keep_files=False):
            outcomes.append(outcome)
            where = display_path(outcome.target)
            if outcome.status == "built":
                progress.done(outcome.problems, "built", f"{outcome.month}: built {where}")
            elif outcome.status == "up to date":
                # at a terminal the summary says it; each of 120 months saying so would bury the rest
                line = None if progress.bar else f"{outcome.month}: up to date in {where} (--force rebuilds it)"
                progress.done(outcome.problems, "up to date", line)
            else:
                progress.done(outcome.problems, "failed", f"{outcome.month}: not built", err=True)
    archived = write_archive(state, outcomes, out, force)
    summary = progress.summary("built", "up to date", "failed")
    if summary:
        click.echo(summary)
    if progress.counts.get("failed") or not archived:
        raise SystemExit(1)


def write_archive(state: State, outcomes: list[Any], out: Path | None, force: bool = False) -> bool:
    """The archive rewritten after a build of months, and said; False if it could not be written."""
    from monthlypost import archive

    workspace = state.workspace
    result = archive.update(workspace, workspace.dist(out), outcomes, force)
    report(result.problems, state.reported)
    where = display_path(result.root)
    if result.status == "written":
        click.echo(f"archive: written in {where} (index.html, feed.xml, feed.json, sitemap.xml)")
    elif result.status == "failed":
        click.echo("archive: not written", err=True)
    return result.status != "failed"
