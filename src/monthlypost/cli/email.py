"""The newsletter: send-test through your own server, and email push into the mail provider."""

from __future__ import annotations

import click

from monthlypost.cli.base import (
    MONTH,
    State,
    built,
    cli,
    confirmer,
    email_addresses,
    months_arguments,
    one_at_a_time,
    result_printer,
    selected,
    show_diff,
)


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
    "scheduled": "draft scheduled in {provider}{detail}",
    "unscheduled": "scheduled email taken back to a draft in {provider}{detail}",
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
@click.option(
    "--schedule",
    "schedule",
    flag_value="schedule",
    help="Schedule the email for the month's publish_at and [email] delay_minutes.",
)
@click.option("--unschedule", "schedule", flag_value="unschedule", help="Take a scheduled email back to a draft.")
@click.pass_obj
@one_at_a_time
def email_push(
    state: State,
    months: tuple[str, ...],
    every: bool,
    dry_run: bool,
    yes: bool,
    test_to: list[str],
    schedule: str | None,
) -> None:
    """Put months' newsletters (default: the newest) into your mail provider as drafts.

    Builds stale months first; a month with errors is never pushed. The
    first push creates the draft; after a change, the next shows what
    changes, asks, and updates the same draft; with nothing changed it sends
    nothing. A draft sent or scheduled in the provider is never touched; one
    deleted there is made anew. Nothing is ever sent to your subscribers;
    nothing is scheduled but with --schedule. The API key comes from
    MONTHLYPOST_EMAIL_API_KEY only.
    """
    from monthlypost.publish.mail import push as push_drafts
    from monthlypost.publish.providers import PROVIDERS

    chosen = selected(state, months, every)
    adapter = PROVIDERS.get(state.workspace.settings.email.provider)
    provider = adapter.name if adapter else state.workspace.settings.email.provider

    done = result_printer(state, EMAIL_LINES, provider=provider)
    ask = confirmer(yes, "update the draft")
    results = push_drafts(state.workspace, chosen, dry_run, list(test_to), ask, show_diff, done, schedule)
    if any(r.failed for r in results):  # a test the provider refused too: the draft is there, the test is not
        raise SystemExit(1)
