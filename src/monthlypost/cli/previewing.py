"""preview: the month as its readers will see it, live in a browser."""

from __future__ import annotations

import click

from monthlypost.cli.base import (
    MONTH,
    State,
    cli,
    selected,
)


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

    (chosen,) = selected(state, (month,) if month else (), False)
    try:
        serve(state.workspace.root, chosen, port, not no_open, click.echo)
    except KeyboardInterrupt:
        click.echo("Preview stopped.")
