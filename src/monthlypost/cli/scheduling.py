"""monthlypost schedule: the month's channels scheduled for its publish_at in one run, after one plan table."""

from __future__ import annotations

import click

from monthlypost.cli.base import MONTH, State, cli, confirmer, one_at_a_time, printable, report, result_printer
from monthlypost.cli.blog import BLOG_LINES


@cli.command()
@click.argument("month", type=MONTH)
@click.option("--unschedule", is_flag=True, help="Undo the schedules instead, where the service allows.")
@click.option("--dry-run", is_flag=True, help="Show the plan and what each channel would do; send nothing.")
@click.option("--yes", "-y", is_flag=True, help="Schedule without asking.")
@click.pass_obj
@one_at_a_time
def schedule(state: State, month: str, unschedule: bool, dry_run: bool, yes: bool) -> None:
    """Schedule MONTH's video and post for its publish_at, after one plan table.

    The video goes public and the post live at the month's publish_at (in
    [author] timezone); the email would follow [email] delay_minutes later,
    but monthlypost does not schedule emails yet (the table says so). Each
    channel's outcome is its own: one that fails leaves the others as they
    are, and the summary says which are scheduled and which are not.
    """
    from monthlypost.campaign import read_campaign
    from monthlypost.errors import Problems
    from monthlypost.moments import moments, utc

    workspace = state.workspace
    settings = workspace.settings
    problems = Problems()
    campaign = read_campaign(month, workspace.month_files(month), problems)
    report(problems, state.reported)
    if campaign is None:
        raise SystemExit(1)
    when = moments(settings, campaign, problems)
    if not when.scheduled and not unschedule:
        click.echo(
            f"Error: {campaign.topic_path}: there is no publish_at to schedule; add one, like "
            f"publish_at = 2024-04-15T09:00 (in {settings.author.timezone})",
            err=True,
        )
        raise SystemExit(1)
    zone = settings.author.timezone
    channels = [("video", "YouTube", when.video, "youtube")]
    if settings.blog.platform:
        channels.append(("post", settings.blog.platform.capitalize(), when.post, "blog"))
    rows = [("channel", "what", "UTC", zone)]
    for what, service, at, _ in channels:
        doing = "unscheduled" if unschedule else ("goes public" if what == "video" else "goes live")
        rows.append((service, f"the {what} {doing}", utc(at), f"{at:%Y-%m-%d %H:%M}"))
    email = "not scheduled: monthlypost does not schedule emails yet"
    rows.append(("email", email, utc(when.email), f"{when.email:%Y-%m-%d %H:%M}"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo(printable("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()))
    if not dry_run and not yes:
        confirmer(False, "schedule")(month, f"{'Unschedule' if unschedule else 'Schedule'} these for {month}?")
    mode = "unschedule" if unschedule else "schedule"
    outcomes: dict[str, str] = {}
    for what, _, _, channel in channels:
        click.echo(f"--- {what}")
        outcomes[what] = _run(state, channel, month, mode, dry_run)
    done = [what for what, status in outcomes.items() if status == "ok"]
    left = [what for what, status in outcomes.items() if status != "ok"]
    summary = f"{mode}d: {', '.join(done) or 'nothing'}"
    if left:
        summary += f"; not {mode}d: {', '.join(left)}"
    click.echo(summary + ("; the email is not scheduled (do it in your mail provider)" if not unschedule else ""))
    if left:
        raise SystemExit(1)


def _run(state: State, channel: str, month: str, mode: str, dry_run: bool) -> str:
    """One channel's push with its schedule, answered yes (the plan table was the question)."""
    from monthlypost.cli.base import show_diff
    from monthlypost.errors import MonthlypostError

    try:
        if channel == "youtube":
            from monthlypost.cli.youtube import print_youtube, result_line
            from monthlypost.publish import youtube as yt

            yes = confirmer(True, mode)
            outcome = yt.push(state.workspace, [month], dry_run, yes, show_diff, result_line(state), schedule=mode)
            try:
                print_youtube(state, outcome)  # the units spent
            except SystemExit:
                return "failed"
            return "ok"
        else:
            from monthlypost.publish import blog as publishing

            done = result_printer(state, BLOG_LINES)
            results = publishing.push(state.workspace, [month], dry_run, confirmer(True, mode), show_diff, done, mode)
            failed = any(r.failed for r in results)
    except MonthlypostError as err:
        report(err.problems, state.reported)
        return "failed"
    return "failed" if failed else "ok"
