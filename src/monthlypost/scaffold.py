"""New workspaces and new months: starter files that build as they are, never written over."""

from __future__ import annotations

import json
from pathlib import Path

from monthlypost.campaign import SCRIPT_NAME, TOPIC_NAME, title_rule
from monthlypost.errors import MonthlypostError
from monthlypost.layout import CAMPAIGNS, CONFIG_NAME
from monthlypost.paths import fail
from monthlypost.tables import text_rule
from monthlypost.video import PLACEHOLDER_ID
from monthlypost.workspace import Workspace

SETTINGS_TEXT = """\
# monthlypost settings for this workspace; the README describes every key.

[author]
name = "Your Name"
email = "you@example.com"
# phone = "(555) 010-0199"
# phone_vanity = "555 010 FLEX"            # the number spelled in letters, shown beside it
# phone_country = "US"                     # its country, so its tel: link dials from anywhere
# website = "https://www.example.com"
# postal_address = "1 Main Street, Springfield"   # printed in the email footer
# language = "en"

[links]                                     # name = address: shown in the blog, email and description
# youtube = "https://www.youtube.com/@yourchannel"

[blog]
# url = "https://www.example.com/blog/{slug}/"   # where each month's post will live

[email]
# mailchimp | kit | buttondown | mailerlite | brevo | sendgrid | mailjet | campaign-monitor | generic
provider = "mailchimp"
# from_name = "Your Name"                   # default: [author] name
# from_address = "you@example.com"          # default: [author] email
# reply_to = "you@example.com"              # default: from_address
# accent_color = "#2a7ab0"
# utm = true                                # tag links to your own site for analytics

[youtube]
# category_id = "26"
# hashtags = ["YourChannel"]                # added to every month's hashtags
# footer = "Thanks for watching!"           # closes every description
# client_secrets = "client_secret.json"     # for 'monthlypost youtube login'

# [smtp]                                    # only for 'monthlypost send-test'
# host = "smtp.example.com"
# port = 587
# security = "starttls"                     # starttls | ssl | none
# username = "you@example.com"              # the password: MONTHLYPOST_SMTP_PASSWORD
"""

GITIGNORE_TEXT = """\
# What monthlypost writes, and secrets that never belong in the repository
/dist/
/.monthlypost/
client_secret*.json
"""

SCRIPT_TEXT = """\
Write the month's text here, in Markdown: paragraphs, ## headings, lists,
[links](https://www.example.com), *emphasis* and images with alt text.

## A heading for the second part

Everything in this file becomes the body of the blog post and the newsletter.
"""


def topic_text(title: str) -> str:
    return f"""\
# This month's video; the README describes every key.
title = {json.dumps(title, ensure_ascii=False)}
# The video's link in any form YouTube gives it: the share link, the watch page, a Short.
video = "https://youtu.be/{PLACEHOLDER_ID}"
# One to three sentences: the email preheader, the blog's description, the opening of the YouTube description.
summary = "What viewers will take away from this month's video, in a sentence or two."
key_points = [
  "The first thing viewers will learn.",
  "The second thing viewers will learn.",
]
# keywords = ["…"]                    # blog tags and meta keywords
# hashtags = ["…"]                    # YouTube hashtags, with or without '#'
# video_date = 2024-05-01              # the day the video went public on YouTube (or publish_at: the moment)
# chapters = ["0:00 Intro", "0:45 …", "2:10 …"]
# cta = "Leave a comment and I'll get right back to you!"
# subject = "…"                       # the email's subject; default: the title
# excerpt = 2                         # the email carries only the first N paragraphs and links to the post
"""


def new_month(workspace: Workspace, month: str, title: str | None = None) -> list[Path]:
    """campaigns/MONTH with a starter topic.toml and script.md; an existing month is an error."""
    existing = workspace.months().get(month)
    if existing is not None:
        raise MonthlypostError.at(existing, f"{month} already exists; nothing was changed")
    folder = workspace.campaigns / month
    if title is not None:
        wrong = [*text_rule(title), *title_rule(title)]
        if wrong:
            raise MonthlypostError.at(folder / TOPIC_NAME, f"--title: {wrong[0]}; nothing was created")
    files = {
        folder / TOPIC_NAME: topic_text(title or "Title of this month's video"),
        folder / SCRIPT_NAME: SCRIPT_TEXT,
    }
    return _create(files)


def init_workspace(directory: Path, month: str) -> list[Path]:
    """A new workspace in ``directory`` with one starter month; refuses to overwrite anything."""
    directory = directory.resolve()
    if (directory / CONFIG_NAME).exists():
        raise MonthlypostError.at(directory / CONFIG_NAME, "already exists; this is a workspace already")
    folder = directory / CAMPAIGNS / month
    files = {
        directory / CONFIG_NAME: SETTINGS_TEXT,
        folder / TOPIC_NAME: topic_text("Title of this month's video"),
        folder / SCRIPT_NAME: SCRIPT_TEXT,
    }
    if not (directory / ".gitignore").exists():
        files[directory / ".gitignore"] = GITIGNORE_TEXT
    return _create(files)


def _create(files: dict[Path, str]) -> list[Path]:
    """Write new files, all or none; any that exists already stops it before writing."""
    for path in files:
        if path.exists():
            raise MonthlypostError.at(path, "already exists; nothing was changed")
    new_folders = sorted(
        {folder for path in files for folder in (path.parent, *path.parent.parents) if not folder.exists()},
        key=lambda folder: len(folder.parts),
    )
    created: list[Path] = []
    try:
        for folder in new_folders:
            folder.mkdir()
        for path, text in files.items():
            with path.open("x", encoding="utf-8") as f:
                created.append(path)
                f.write(text)
    except OSError as err:
        for path in created:
            path.unlink(missing_ok=True)
        for folder in reversed(new_folders):
            if folder.exists():
                folder.rmdir()
        raise fail(err.filename or path, "could not be created", err) from None
    return created
