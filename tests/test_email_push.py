"""email push (SPEC §9): the newsletter as a draft in each mail provider, through requests, against fakes of
their APIs on 127.0.0.1 (tests/fake_mail.py). Nothing here reaches the internet."""

from __future__ import annotations

import json
import re
import textwrap
import traceback

import pytest

from monthlypost.errors import MonthlypostError

from .conftest import DEEP, REPO, edit, publish_at, run
from .fake_mail import KEYS, FakeMail

PROVIDERS = ["kit", "buttondown", "mailchimp", "brevo", "mailerlite"]
LISTS = {"mailchimp": '"abc123"', "brevo": "7", "mailerlite": '"42"'}
SCRIPT = "campaigns/2024-04/script.md"
DRAFTS = ".monthlypost/email-drafts.json"


def use(root, provider: str, with_list: bool = True) -> None:
    edit(root / "monthlypost.toml", 'provider = "mailchimp"', f'provider = "{provider}"')
    if provider != "mailchimp":
        edit(
            root / "monthlypost.toml",
            'website = "https://www.livepainfreeprocess.com"\n',
            'website = "https://www.livepainfreeprocess.com"\npostal_address = "12 Elm Street, Springfield"\n',
        )
    if with_list and provider in LISTS:
        edit(root / "monthlypost.toml", "[youtube]", f"list = {LISTS[provider]}\n\n[youtube]")


def readme_kit_template() -> str:
    """The Kit template the README says to paste, exactly as it stands there."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- monthlypost:kit-template -->\n\s*```html\n(.*?)\n\s*```", readme, re.DOTALL)
    assert found, "the README no longer shows the Kit template to paste"
    return textwrap.dedent(found.group(1))


def started(provider: str) -> FakeMail:
    """A fake provider as the README's one-time set-up leaves the author's account."""
    fake = FakeMail(provider).start()
    if provider == "kit":
        fake.add_kit_template("monthlypost", readme_kit_template())
    return fake


@pytest.fixture(params=PROVIDERS)
def mail(request, example, monkeypatch):
    provider = request.param
    fake = started(provider)
    use(example, provider)
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_URL", fake.url)
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", KEYS[provider])
    yield fake
    fake.stop()


def push(*args: str):
    return run("email", "push", "2024-04", *args)


def records(root) -> dict:
    return json.loads((root / DRAFTS).read_text())


def no_key(*texts: str) -> bool:
    return not any(key in text for key in KEYS.values() for text in texts)


def changed_script(root) -> None:
    edit(root / SCRIPT, "Enjoy the video.", "Enjoy the video, now in your inbox.")


NAMES = {
    "kit": "Kit",
    "buttondown": "Buttondown",
    "mailchimp": "Mailchimp",
    "brevo": "Brevo",
    "mailerlite": "MailerLite",
}


def test_the_first_push_creates_a_draft_and_records_it(mail, example):
    result = push()
    assert result.exit_code == 0, result.output
    assert f"2024-04: draft created in {NAMES[mail.provider]}" in result.stdout
    draft_id, draft = mail.only()
    sent = json.dumps(draft)
    assert "Why Your Hip Pain Keeps Coming Back" in sent and "The back-burner reasons" in sent
    record = records(example)["2024-04"]
    assert record["id"] == draft_id and record["provider"] == mail.provider
    assert no_key(result.output, (example / DRAFTS).read_text())


def test_what_each_provider_is_sent(mail, example):
    assert push().exit_code == 0
    _, draft = mail.only()
    html = (example / "dist/2024-04/newsletter.html").read_text()
    body = re.search(r"<body[^>]*>(.*)</body>", html, re.DOTALL).group(1).strip() + "\n"
    text = (example / "dist/2024-04/newsletter.txt").read_text()
    subject, preview = "Why Your Hip Pain Keeps Coming Back", "The back-burner reasons your hip pain"
    if mail.provider == "kit":  # inside the Kit template named monthlypost: the document's body only
        assert draft["content"] == body and draft["subject"] == subject and draft["preview_text"].startswith(preview)
        assert draft["send_at"] is None and draft["public"] is False
        assert draft["email_template_id"] == 7 and draft["email_address"] == "Patrick@patricklerouge.com"
    elif mail.provider == "buttondown":
        assert draft["body"] == html and draft["status"] == "draft" and draft["description"].startswith(preview)
        assert draft["template"] == "naked"
    elif mail.provider == "mailchimp":
        assert draft["type"] == "regular" and draft["recipients"] == {"list_id": "abc123"}
        settings = draft["settings"]
        assert settings["subject_line"] == subject and settings["preview_text"].startswith(preview)
        assert settings["from_name"] == "Patrick Lerouge" and settings["reply_to"] == "Patrick@patricklerouge.com"
        assert draft["content"] == {"html": html, "plain_text": text}
    elif mail.provider == "brevo":
        assert draft["htmlContent"] == html and draft["previewText"].startswith(preview)
        assert draft["sender"] == {"name": "Patrick Lerouge", "email": "Patrick@patricklerouge.com"}
        assert draft["recipients"] == {"listIds": [7]} and "scheduledAt" not in draft
        assert "replyTo" not in draft  # reply_to is the sender's own address: nothing to set
    else:
        (email,) = draft["emails"]
        assert (
            email["content"] == html and email["subject"] == subject and email["from"] == "Patrick@patricklerouge.com"
        )
        assert draft["type"] == "regular" and draft["groups"] == ["42"] and "reply_to" not in email


def test_an_unchanged_month_sends_nothing(mail, example):
    push()
    before = len(mail.writes())
    result = push()
    assert result.exit_code == 0
    assert "2024-04: unchanged, nothing sent" in result.stdout
    assert len(mail.writes()) == before


def test_a_change_updates_the_same_draft_after_showing_it(mail, example):
    push()
    draft_id, _ = mail.only()
    changed_script(example)
    result = push("--yes")
    assert result.exit_code == 0, result.output
    assert "+Enjoy the video, now in your inbox." in result.stdout  # the text's diff
    assert f"2024-04: draft updated in {NAMES[mail.provider]}" in result.stdout
    assert list(mail.drafts) == [draft_id]
    assert "now in your inbox" in json.dumps(mail.drafts[draft_id])
    assert records(example)["2024-04"]["id"] == draft_id


def test_a_subject_change_is_shown(mail, example):
    push()
    edit(example / "campaigns/2024-04/topic.toml", "cta =", 'subject = "Your hip, again"\ncta =')
    result = push("--yes")
    assert "Subject: Why Your Hip Pain Keeps Coming Back\n    now: Your hip, again" in result.stdout


def test_without_a_terminal_or_yes_an_update_sends_nothing(mail, example):
    push()
    changed_script(example)
    before = len(mail.writes())
    result = push()
    assert result.exit_code == 1
    assert "no terminal to ask on, so nothing was sent; rerun with --yes" in result.stderr
    assert len(mail.writes()) == before


def test_a_draft_sent_or_scheduled_meanwhile_is_never_touched(mail, example):
    push()
    draft_id, _ = mail.only()
    mail.mark_sent(draft_id)
    changed_script(example)
    before = len(mail.writes())
    result = push("--yes")
    assert result.exit_code == 1
    assert "says this email was sent or is scheduled, so monthlypost leaves it alone" in result.stderr
    assert len(mail.writes()) == before


def test_a_draft_deleted_in_the_app_is_created_anew(mail, example):
    push()
    old_id, _ = mail.only()
    del mail.drafts[old_id]
    result = push()
    assert result.exit_code == 0, result.output
    assert f"the draft was deleted in {NAMES[mail.provider]}; making a new one" in result.stdout
    assert "draft created anew" in result.stdout
    new_id, _ = mail.only()
    assert new_id != old_id and records(example)["2024-04"]["id"] == new_id


def test_dry_run_writes_nothing_anywhere(mail, example):
    result = push("--dry-run")
    assert result.exit_code == 0
    assert "would create a draft in" in result.stdout and "(dry run: nothing sent)" in result.stdout
    assert mail.writes() == [] and mail.drafts == {}
    assert not (example / DRAFTS).exists()
    push()
    changed_script(example)
    before = len(mail.writes())
    result = push("--dry-run")
    assert "would update the draft (dry run: nothing sent)" in result.stdout
    assert "+Enjoy the video, now in your inbox." in result.stdout
    assert len(mail.writes()) == before


def test_a_test_is_sent_where_the_api_can(mail, example):
    mail.contacts = {"me@example.com": [7], "editor@example.com": [7]}  # Brevo: only contacts on a list
    result = push("--test-to", "me@example.com", "--test-to", "editor@example.com")
    assert result.exit_code == 0, result.output
    if mail.provider in ("kit", "mailerlite"):
        assert mail.tests_sent == []
        assert "API sends no test of a draft" in result.stdout and "monthlypost send-test" in result.stdout
    else:
        assert mail.tests_sent == [["me@example.com", "editor@example.com"]]
        assert "a test went to me@example.com, editor@example.com" in result.stdout


def test_a_refused_key_is_a_clear_error_that_never_shows_the_key(mail, example, monkeypatch):
    wrong = "WRONG-" + KEYS[mail.provider]
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", wrong)
    result = push()
    assert result.exit_code == 1
    assert f"{NAMES[mail.provider]} refused the API key (401" in result.stderr
    assert "check MONTHLYPOST_EMAIL_API_KEY" in result.stderr
    assert wrong not in result.output and no_key(result.output)
    debug = run("--debug", "email", "push", "2024-04")
    assert wrong not in debug.output
    from monthlypost.publish.mail import draft_for, provider_for
    from monthlypost.workspace import Workspace

    workspace = Workspace(example)
    (outcome,) = __import__("monthlypost.build", fromlist=["build"]).build(workspace, ["2024-04"])
    with pytest.raises(MonthlypostError) as raised:  # the error as --debug would show it, traceback and all
        provider_for(workspace.settings).create(draft_for(outcome, workspace.settings), lambda draft_id: None)
    shown = "".join(traceback.format_exception(raised.value))
    assert "refused the API key" in shown
    assert wrong not in shown and KEYS[mail.provider] not in shown


def test_a_read_is_retried_after_a_server_error(mail, example, monkeypatch):
    monkeypatch.setattr("monthlypost.publish.http.BACKOFF_SECONDS", 0.01)
    assert push().exit_code == 0
    changed_script(example)
    mail.failures = [500, 503]  # the two reads of the draft before the update
    result = push("--yes")
    assert result.exit_code == 0, result.output
    assert len(mail.drafts) == 1 and "now in your inbox" in json.dumps(mail.drafts)


def test_a_rate_limit_is_waited_out(mail, example):
    mail.failures = [429]
    assert push().exit_code == 0
    assert len(mail.drafts) == 1


def test_nothing_is_ever_sent_to_subscribers_or_scheduled(mail, example):
    push("--test-to", "me@example.com")
    changed_script(example)
    push("--yes")
    for seen in mail.requests:
        assert not seen.path.endswith(("/actions/send", "/actions/schedule", "/sendNow", "/schedule", "/send"))
        assert not (seen.body or {}).get("send_at") and not (seen.body or {}).get("scheduledAt")
        if mail.provider == "buttondown" and seen.method == "POST" and "send-draft" not in seen.path:
            assert seen.body["status"] == "draft"  # left out, Buttondown's default sends the email
        if mail.provider == "buttondown" and seen.method == "PATCH":
            assert "status" not in seen.body  # an update never changes what the email is


def test_list_shows_the_draft_and_whether_it_matches_the_build(mail, example):
    assert "email" not in run("list").stdout
    push()
    assert run("list").stdout.startswith("2024-04  built      email draft         Why Your Hip Pain")
    changed_script(example)
    run("build", "2024-04")
    assert "email draft, older" in run("list").stdout


# --- Per provider ------------------------------------------------------------------------------------------


@pytest.fixture
def provider_fake(example, monkeypatch):
    fakes = []

    def start(provider: str, with_list: bool = True) -> FakeMail:
        fake = started(provider)
        fakes.append(fake)
        use(example, provider, with_list)
        monkeypatch.setenv("MONTHLYPOST_EMAIL_API_URL", fake.url)
        monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", KEYS[provider])
        return fake

    yield start
    for fake in fakes:
        fake.stop()


@pytest.mark.parametrize("provider", ["mailchimp", "brevo", "mailerlite"])
def test_a_provider_that_needs_an_audience_says_so(provider_fake, provider):
    fake = provider_fake(provider, with_list=False)
    result = push()
    assert result.exit_code == 1
    assert f"Error: monthlypost.toml: [email] list: required for {NAMES[provider]}: " in result.stderr
    assert fake.requests == []


@pytest.mark.parametrize(
    "provider, says",
    [
        ("mailchimp", "recipients.list_id: List does not exist"),
        ("brevo", "List ids are not valid"),
        ("mailerlite", "groups.0: The selected groups.0 is invalid"),
    ],
)
def test_an_audience_the_provider_does_not_know_quotes_the_provider(provider_fake, provider, says):
    fake = provider_fake(provider)
    fake.lists = {"something-else"}
    result = push()
    assert result.exit_code == 1
    assert says in result.stderr


def test_mailerlites_plan_refusal_points_to_pasting(provider_fake):
    fake = provider_fake("mailerlite")
    fake.advanced_plan = False
    result = push()
    assert result.exit_code == 1
    assert "MailerLite takes an email's own HTML through its API only on its Advanced plan" in result.stderr
    assert "Paste newsletter.html into a Custom HTML campaign instead" in result.stderr


def test_kit_without_the_monthlypost_template_says_how_to_make_it(provider_fake):
    fake = provider_fake("kit")
    fake.templates = [t for t in fake.templates if t["name"] != "monthlypost"]
    result = push()
    assert result.exit_code == 1
    assert "Kit has no email template named 'monthlypost'" in result.stderr
    assert "{{ message_content }}" in result.stderr
    assert fake.drafts == {}


def test_a_mailchimp_key_without_its_data_centre(provider_fake, monkeypatch):
    provider_fake("mailchimp")
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", "0123456789abcdef")
    result = push()
    assert result.exit_code == 1
    assert "does not look like a Mailchimp API key: it ends in its data centre" in result.stderr
    assert "0123456789abcdef" not in result.output


def test_an_unsupported_provider_points_to_pasting(example, monkeypatch):
    edit(example / "monthlypost.toml", 'provider = "mailchimp"', 'provider = "sendgrid"')
    edit(
        example / "monthlypost.toml",
        'website = "https://www.livepainfreeprocess.com"\n',
        'website = "https://www.livepainfreeprocess.com"\npostal_address = "1 Main St"\n',
    )
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", "whatever")
    result = push()
    assert result.exit_code == 1
    assert 'Error: monthlypost.toml: [email] provider = "sendgrid": email push puts drafts into kit, buttondown, ' in (
        result.stderr
    )
    assert "paste newsletter.html by hand instead" in result.stderr


def test_no_key_says_which_variable_and_where_to_make_one(provider_fake, monkeypatch):
    fake = provider_fake("brevo")
    monkeypatch.delenv("MONTHLYPOST_EMAIL_API_KEY")
    result = push()
    assert result.exit_code == 1
    assert "MONTHLYPOST_EMAIL_API_KEY is not set: export it with your Brevo API key (made in Brevo, " in result.stderr
    assert fake.requests == []


def test_a_month_with_errors_is_never_pushed(provider_fake, example):
    fake = provider_fake("buttondown")
    edit(example / "campaigns/2024-04/topic.toml", "https://youtu.be/hipPain2404", "https://vimeo.com/1")
    result = push()
    assert result.exit_code == 1
    assert "2024-04: not built, so nothing was sent" in result.stderr
    assert fake.requests == []


def test_the_provider_changing_starts_a_new_draft(provider_fake, example, monkeypatch):
    provider_fake("kit")
    assert push().exit_code == 0
    edit(example / "monthlypost.toml", 'provider = "kit"', 'provider = "buttondown"')
    fake = started("buttondown")
    try:
        monkeypatch.setenv("MONTHLYPOST_EMAIL_API_URL", fake.url)
        monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", KEYS["buttondown"])
        result = push()
        assert result.exit_code == 0, result.output
        assert "draft created in Buttondown" in result.stdout
        assert records(example)["2024-04"]["provider"] == "buttondown"
    finally:
        fake.stop()


def test_a_hand_edited_draft_id_never_becomes_part_of_a_request(mail, example):
    assert push().exit_code == 0
    saved = records(example)
    saved["2024-04"]["id"] = "../../v3/contacts/1"
    (example / DRAFTS).write_text(json.dumps(saved))
    changed_script(example)
    before = len(mail.requests)
    result = push("--yes")
    assert result.exit_code == 1
    assert (
        f"Error: {DRAFTS}: damaged: 2024-04's draft id is not one {NAMES[mail.provider]} gives; remove 2024-04's "
        "entry, and push again to make a new draft\n"
    ) in result.stderr
    assert mail.requests[before:] == []
    assert "Traceback" not in result.output


def test_a_record_nested_too_deeply_to_read_is_a_clean_error(mail, example):
    (example / ".monthlypost").mkdir()
    (example / DRAFTS).write_bytes(DEEP)
    result = push()
    assert result.exit_code == 1
    assert f"Error: {DRAFTS}: damaged: not what monthlypost wrote there; delete it" in result.stderr, result.stderr
    assert mail.writes() == [] and (example / DRAFTS).read_bytes() == DEEP
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "answer",
    [[], "not json at all", {"status": ["draft"]}, {"broadcast": 5, "data": "x"}, DEEP],
    ids=["list", "text", "status-list", "numbers", "nested-too-deeply"],
)
def test_an_answer_of_an_odd_shape_is_never_a_traceback(mail, example, answer):
    assert push().exit_code == 0
    changed_script(example)
    mail.odd_reads.append(answer)
    drafts = json.dumps(mail.drafts)
    result = push("--yes")
    assert result.exit_code == 1
    assert (
        f"Error: {NAMES[mail.provider]} answered about the draft in a form monthlypost does not know, so nothing "
        "was changed; look at the draft there, and try again later\n"
    ) in result.stderr
    assert json.dumps(mail.drafts) == drafts
    assert "Traceback" not in result.output


# --- email push --schedule ------------------------------------------------------------------------------------


# How each provider holds the moment it was given: 2099-07-15 09:07 in London (BST) plus 10 minutes
SCHEDULED = {
    "kit": ("scheduled", lambda d: d["send_at"] == "2099-07-15T08:17:00Z"),
    "buttondown": ("scheduled", lambda d: d["publish_date"] == "2099-07-15T08:17:00Z"),
    "mailchimp": ("schedule", lambda d: d["send_time"] == "2099-07-15T08:30:00+00:00"),  # the next quarter-hour
    "brevo": ("queued", lambda d: d["scheduledAt"] == "2099-07-15T08:17:00Z"),
    "mailerlite": ("ready", lambda d: d["scheduled_for"] == "2099-07-15 09:17:00" and d["timezone_id"] == 91),
}


def test_schedule_puts_the_email_after_the_moment_in_each_providers_own_format(mail, example):
    publish_at(example, "2099-07-15T09:07")
    result = push("--schedule", "--yes")
    assert result.exit_code == 0, result.output
    assert "2024-04: then scheduled in" in result.stdout and "2099-07-15T08:17:00Z (2099-07-15 09:17)" in result.stdout
    _, draft = mail.only()
    status, holds = SCHEDULED[mail.provider]
    assert draft["status"] == status and holds(draft), draft
    if mail.provider == "mailchimp":
        assert "Mailchimp schedules on the quarter-hour only, so it goes at 09:30, not 09:17" in result.stdout
    if mail.provider == "kit":  # the PUT replaced every field: the audience went back as it was read
        assert draft["subscriber_filter"] and draft["subject"] == "Why Your Hip Pain Keeps Coming Back"
    assert records(example)["2024-04"]["scheduled_at"] == "2099-07-15T08:17:00Z"
    again = push("--schedule", "--yes")
    assert again.exit_code == 1 and "the email is scheduled already" in again.stderr
    back = push("--unschedule", "--yes")
    assert back.exit_code == 0, back.output
    assert mail.only()[1]["status"] in ("draft", "save")
    assert "scheduled_at" not in records(example)["2024-04"]


def test_an_email_moment_passed_or_too_soon_is_never_scheduled(mail, example):
    publish_at(example, "2020-07-15T09:00")
    result = push("--schedule", "--yes")
    assert result.exit_code == 1
    assert "publish_at: the email's moment, 2020-07-15T09:10:00+01:00, has passed" in result.stderr
    assert [r for r in mail.writes() if r.path.endswith(("schedule", "/status"))] == []
    assert all(d["status"] in ("draft", "save") for d in mail.drafts.values())


def test_without_schedule_nothing_is_scheduled(mail, example):
    publish_at(example, "2099-07-15T09:07")
    assert push("--yes").exit_code == 0
    assert all(d["status"] in ("draft", "save") for d in mail.drafts.values())


def test_mailchimp_explains_its_plan_limit_and_its_checklist(example, monkeypatch):
    fake = started("mailchimp")
    use(example, "mailchimp")
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_URL", fake.url)
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", KEYS["mailchimp"])
    publish_at(example, "2099-07-15T09:00")
    try:
        fake.paid = False
        result = push("--schedule", "--yes")
        assert result.exit_code == 1
        assert "Mailchimp schedules campaigns only on a paid plan" in result.stderr
        fake.paid = True
        fake.checklist = [{"heading": "Footer", "details": "Add your address to the footer"}]
        result = push("--schedule", "--yes")
        assert result.exit_code == 1
        assert "send checklist says the campaign is not ready: Footer: Add your address to the footer" in result.stderr
        assert fake.only()[1]["status"] == "save"
    finally:
        fake.stop()


def test_scheduling_an_email_that_shows_youtubes_thumbnail_warns_it_may_show_none(example, monkeypatch):
    from .conftest import no_blog

    fake = started("brevo")
    use(example, "brevo")
    no_blog(example)
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_URL", fake.url)
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", KEYS["brevo"])
    publish_at(example, "2099-07-15T09:00")
    try:
        result = push("--schedule", "--yes")
        assert result.exit_code == 0, result.output
        assert "the email shows YouTube's thumbnail of the video, which YouTube serves for no private video" in (
            result.stderr
        )
        assert "i.ytimg.com" in fake.only()[1]["htmlContent"]
    finally:
        fake.stop()
