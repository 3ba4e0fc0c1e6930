"""monthlypost schedule: the month's channels scheduled for its publish_at in one run, after one plan table."""

from __future__ import annotations

import click

from monthlypost.cli.base import MONTH, State, cli, confirmer, echo_columns, one_at_a_time, report, result_printer
from monthlypost.cli.blog import BLOG_LINES


@cli.command()
@click.argument("month", type=MONTH)
@click.option("--unschedule", is_flag=True, help="Undo the schedules instead, where the service allows.")
@click.option("--dry-run", is_flag=True, help="Show the plan and what each channel would do; send nothing.")
@click.option("--yes", "-y", is_flag=True, help="Schedule without asking.")
@click.pass_obj
@one_at_a_time
def schedule(state: State, month: str, unschedule: bool, dry_run: bool, yes: bool) -> None:
    """Schedule MONTH's video, post and email for its publish_at, after one plan table.

    The video goes public and the post live at the month's publish_at (in
    [author] timezone), and the email follows [email] delay_minutes later
    (through the provider's API: not with provider = "generic"). Each
    channel's outcome is its own: one that fails leaves the others as they
    are, and the summary says which are scheduled and which are not.
    """
    from monthlypost.campaign import read_campaign
    from monthlypost.errors import Problems
    from monthlypost.moments import moments, no_publish_at, utc

    workspace = state.workspace
    settings = workspace.settings
    problems = Problems()
    campaign = read_campaign(month, workspace.month_files(month), problems)
    when = moments(settings, campaign, problems) if campaign is not None else None  # a time the clocks skip…
    if when is not None and not when.scheduled and not unschedule:
        problems.error(campaign.topic_path, no_publish_at(settings))
    report(problems, state.reported)
    if when is None or problems.errors:
        raise SystemExit(1)
    from monthlypost.publish.providers import PROVIDERS

    zone = settings.author.timezone
    channels = [("video", "YouTube", when.video, "youtube")]
    if settings.blog.platform:
        channels.append(("post", settings.blog.platform.capitalize(), when.post, "blog"))
    provider = PROVIDERS.get(settings.email.provider)
    if provider is not None:
        channels.append(("email", provider.name, when.email, "email"))
    rows = [("channel", "what", "UTC", zone)]
    words = {"video": "goes public", "post": "goes live", "email": "is sent"}
    for what, service, at, _ in channels:
        rows.append(
            (service, f"the {what} {'unscheduled' if unschedule else words[what]}", utc(at), f"{at:%Y-%m-%d %H:%M}")
        )
    if provider is None:
        email = f"not scheduled: {settings.email.provider} has no API monthlypost schedules through"
        rows.append(("email", email, utc(when.email), f"{when.email:%Y-%m-%d %H:%M}"))
    echo_columns(rows)
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
    if provider is None and not unschedule:
        summary += "; the email is not scheduled (do it in your mail provider)"
    click.echo(summary)
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
        elif channel == "email":
            from monthlypost.cli.email import EMAIL_LINES
            from monthlypost.publish.mail import push as push_drafts
            from monthlypost.publish.providers import PROVIDERS

            name = PROVIDERS[state.workspace.settings.email.provider].name
            done = result_printer(state, EMAIL_LINES, provider=name)
            results = push_drafts(state.workspace, [month], dry_run, [], confirmer(True, mode), show_diff, done, mode)
            failed = any(r.failed for r in results)
        else:
            from monthlypost.publish import blog as publishing

            done = result_printer(state, BLOG_LINES)
            results = publishing.push(state.workspace, [month], dry_run, confirmer(True, mode), show_diff, done, mode)
            failed = any(r.failed for r in results)
    except MonthlypostError as err:
        report(err.problems, state.reported)
        return "failed"
    return "failed" if failed else "ok"
