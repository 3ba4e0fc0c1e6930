"""email push as the providers really behave (tests/fake_mail.py, written from their references): what a
subscriber receives, an update that leaves the audience alone, senders a provider refuses, and one draft
whatever the network or the provider does. Each test here failed before monthlypost did it right."""

from __future__ import annotations

import base64
import json
import os
import time

import pytest

from .conftest import edit
from .fake_mail import KEYS, UNSUBSCRIBE, FakeMail, unfilled_tags, unsubscribe_links
from .test_email_push import DRAFTS, NAMES, PROVIDERS, changed_script, push, records, started, use


@pytest.fixture
def fake(example, monkeypatch):
    """start(provider) → a fake provider the example workspace pushes to."""
    fakes: list[FakeMail] = []

    def start(provider: str) -> FakeMail:
        served = started(provider)
        fakes.append(served)
        use(example, provider)
        monkeypatch.setenv("MONTHLYPOST_EMAIL_API_URL", served.url)
        monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", KEYS[provider])
        return served

    monkeypatch.setattr("monthlypost.publish.http.BACKOFF_SECONDS", 0.01)
    yield start
    for served in fakes:
        served.stop()


def settings(root, section_line: str, added: str) -> None:
    edit(root / "monthlypost.toml", section_line, f"{section_line}\n{added}")


# --- What the subscriber receives -----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_example_month_reaches_the_subscriber_with_exactly_one_unsubscribe_link(fake, provider):
    served = fake(provider)
    result = push()
    assert result.exit_code == 0, result.output
    draft_id, _ = served.only()
    page = served.delivered(draft_id)
    assert unsubscribe_links(page) == 1, page[-1500:]
    assert unfilled_tags(page) == []
    assert page.count("<html") == 1 and page.count("</body>") == 1  # one document: no email inside an email
    assert page.count("You are receiving this because you signed up for Patrick Lerouge's newsletter.") == 1


def test_buttondown_gets_the_whole_newsletter_in_naked_mode(fake, example):
    served = fake("buttondown")
    result = push()
    assert "Buttondown sends it as it is (naked mode, on Buttondown Plus)" in result.stdout
    _, draft = served.only()
    assert draft["template"] == "naked"
    assert draft["body"] == (example / "dist/2024-04/newsletter.html").read_text()


@pytest.mark.parametrize("template", ["classic", "modern", "plaintext"])
def test_buttondown_on_a_plan_without_naked_mode_gets_a_body_meant_for_its_template(fake, example, template):
    served = fake("buttondown")
    settings(example, "[email]", f'template = "{template}"')
    dry = push("--dry-run")
    assert (
        f"Buttondown puts it in its {template.title()} template: Buttondown's header, and its footer with the one "
        in (dry.stdout)
    )
    assert ("shows the preview text as a line above it" in dry.stdout) == (template == "modern")
    assert push().exit_code == 0
    draft_id, draft = served.only()
    assert draft["template"] == template
    assert "<html" not in draft["body"] and "{{ unsubscribe_url }}" not in draft["body"]
    page = served.delivered(draft_id)
    assert unsubscribe_links(page) == 1 and page.count("<html") == 1


def test_a_buttondown_template_it_does_not_have_is_an_error(fake, example):
    fake("buttondown")
    settings(example, "[email]", 'template = "fancy"')
    result = push()
    assert result.exit_code == 1
    assert (
        'Error: monthlypost.toml: [email] template: Buttondown\'s are "naked", "classic", "modern", ' in result.stderr
    )


def test_kit_gets_the_body_of_the_newsletter_for_the_template_the_readme_prescribes(fake, example):
    served = fake("kit")  # the README's template, which the fake (as Kit) accepts only with both variables
    result = push()
    assert "Kit puts it in your email template 'monthlypost', which adds the one unsubscribe link" in result.stdout
    draft_id, draft = served.only()
    assert not draft["content"].lstrip().startswith("<!") and "{{ unsubscribe_url }}" not in draft["content"]
    assert "12 Elm Street, Springfield" in served.delivered(draft_id)  # the postal address, once, in the content
    text = (example / "dist/2024-04/newsletter.txt").read_text()
    assert "Unsubscribe" not in text  # nor in the plain text: Kit's template has the link


def test_kit_with_its_template_named_otherwise(fake, example):
    served = fake("kit")
    served.add_kit_template("Newsletter shell", served.templates[-1]["html"])
    settings(example, "[email]", 'template = "Newsletter shell"')
    assert push().exit_code == 0
    _, draft = served.only()
    assert draft["email_template_id"] == served.templates[-1]["id"]


def test_mailerlite_gets_its_own_tags_so_it_adds_no_footer(fake, example):
    served = fake("mailerlite")
    assert push().exit_code == 0
    draft_id, draft = served.only()
    content = draft["emails"][0]["content"]
    for tag in ("{$unsubscribe}", "{$account}", "{$account_address}", "{$account_country}"):
        assert tag in content
    page = served.delivered(draft_id)
    assert "ml-default-footer" not in page and "9 Provider Road" in page


def test_mailchimp_has_one_sender_address(fake, example):
    served = fake("mailchimp")
    edit(
        example / "monthlypost.toml", 'reply_to = "Patrick@patricklerouge.com"', 'reply_to = "desk@patricklerouge.com"'
    )
    result = push()
    assert result.exit_code == 0, result.output
    _, draft = served.only()
    assert draft["settings"]["reply_to"] == "Patrick@patricklerouge.com"  # Mailchimp's From address
    assert (
        "Warning: monthlypost.toml: [email] reply_to: Mailchimp has one address, for sending and for replies: "
        "the draft is from Patrick@patricklerouge.com, and replies go there too"
    ) in result.stderr


# --- An update changes the content, never the audience ----------------------------------------------------------


AUDIENCES = {  # what the author chose in the provider after the first push, and where the fake keeps it
    "kit": ("subscriber_filter", [{"all": [{"type": "tag", "ids": [42]}], "any": None, "none": None}]),
    "buttondown": ("filters", {"filters": [{"field": "subscriber.tags", "operator": "contains", "value": "vip"}]}),
    "mailchimp": ("recipients", {"list_id": "abc123", "segment_opts": {"saved_segment_id": 9}}),
    "brevo": ("recipients", {"listIds": [7], "exclusionListIds": [13]}),
    "mailerlite": ("segments", ["77"]),
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_update_leaves_the_audience_as_the_author_chose_it(fake, example, provider):
    served = fake(provider)
    assert push().exit_code == 0
    draft_id, draft = served.only()
    key, chosen = AUDIENCES[provider]
    draft[key] = chosen
    if provider == "kit":
        draft["public"], draft["email_template_id"] = True, 2  # Kit's public flag and template, set in Kit
    changed_script(example)
    result = push("--yes")
    assert result.exit_code == 0, result.output
    assert served.drafts[draft_id][key] == chosen
    assert "now in your inbox" in json.dumps(served.drafts[draft_id])
    if provider == "kit":
        assert served.drafts[draft_id]["public"] is True and served.drafts[draft_id]["email_template_id"] == 2
    if provider == "mailerlite":
        assert "type" not in served.writes()[-1].body  # the type is never sent again


def test_the_diff_says_when_the_sender_changes_too(fake, example):
    fake("brevo")
    assert push().exit_code == 0
    edit(
        example / "monthlypost.toml",
        'from_address = "Patrick@patricklerouge.com"',
        'from_address = "desk@patricklerouge.com"',
    )
    result = push("--yes")
    assert "From: Patrick Lerouge <Patrick@patricklerouge.com>\n    now: Patrick Lerouge <desk@patricklerouge.com>" in (
        result.stdout
    )


def test_a_kit_draft_is_told_by_its_status(fake, example):
    served = fake("kit")
    assert push().exit_code == 0
    draft_id, draft = served.only()
    draft["status"] = "sending"  # Kit says it is going out; no send_at in this answer
    changed_script(example)
    result = push("--yes")
    assert result.exit_code == 1
    assert "says this email was sent or is scheduled, so monthlypost leaves it alone" in result.stderr


def test_buttondown_is_asked_for_the_api_version_monthlypost_was_written_for(fake):
    served = fake("buttondown")
    assert push().exit_code == 0
    assert {seen.headers.get("X-API-Version") for seen in served.requests} == {"2025-06-01"}


# --- Senders the provider refuses -----------------------------------------------------------------------------


def test_mailerlite_refusing_an_unverified_sender_says_where_to_verify_it(fake, example):
    served = fake("mailerlite")
    served.verified = set()
    result = push()
    assert result.exit_code == 1
    assert (
        "MailerLite sends only from addresses verified in it, and refused Patrick@patricklerouge.com" in result.stderr
    )
    assert "verify it in MailerLite (Account settings → Domains" in result.stderr
    assert served.drafts == {}


def test_mailerlite_gets_a_reply_to_only_when_one_is_set_and_it_must_be_verified(fake, example):
    served = fake("mailerlite")
    edit(
        example / "monthlypost.toml", 'reply_to = "Patrick@patricklerouge.com"', 'reply_to = "desk@patricklerouge.com"'
    )
    result = push()
    assert result.exit_code == 1
    assert "refused desk@patricklerouge.com" in result.stderr and "or change [email] reply_to" in result.stderr
    served.verified.add("desk@patricklerouge.com")
    assert push().exit_code == 0
    _, draft = served.only()
    assert draft["emails"][0]["reply_to"] == "desk@patricklerouge.com"


def test_kit_gets_a_sending_address_only_when_one_is_set(fake, example):
    served = fake("kit")
    edit(example / "monthlypost.toml", 'from_address = "Patrick@patricklerouge.com"\n', "")
    assert push().exit_code == 0
    _, draft = served.only()
    assert draft["email_address"] is None  # Kit's default sending address
    assert "email_address" not in served.writes()[0].body


def test_kit_refusing_a_sending_address_says_where_to_confirm_it(fake, example):
    served = fake("kit")
    served.verified = {"someone@else.example"}
    result = push()
    assert result.exit_code == 1
    assert "Kit does not send from Patrick@patricklerouge.com" in result.stderr
    assert "Settings → Email → Sending addresses" in result.stderr


# --- Tests ---------------------------------------------------------------------------------------------------


def test_brevo_refusing_a_test_names_each_address_and_keeps_the_draft(fake, example):
    served = fake("brevo")
    served.contacts = {"onlist@example.com": [7], "nolist@example.com": []}
    served.blocklisted = {"blocked@example.com"}
    args = ["--test-to", "stranger@example.com", "--test-to", "nolist@example.com", "--test-to", "blocked@example.com"]
    result = push(*args)
    assert result.exit_code == 1
    assert "2024-04: draft created in Brevo (id 101; no test was sent)" in result.stdout
    assert (
        "Brevo sent no test: it sends tests only to contacts on one of your lists, at most 50 a day, and refused "
        "stranger@example.com (not a contact in Brevo), nolist@example.com (a contact on no list), "
        "blocked@example.com (blocklisted)"
    ) in result.stderr
    assert records(example)["2024-04"]["id"] == "101" and served.tests_sent == []


# --- One draft, whatever happens -------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("then", ["504", "502", "503", "drop", "no-id"])
def test_a_create_whose_answer_is_lost_ends_with_one_recorded_draft(fake, example, provider, then):
    served = fake(provider)
    served.then_fail = [then]  # the provider stores the draft, and then the answer never arrives
    result = push()
    assert result.exit_code == 0, result.output
    assert "its answer was lost on the way, and monthlypost found it" in result.stdout
    draft_id, _ = served.only()
    assert records(example)["2024-04"]["id"] == draft_id
    posts = [seen for seen in served.requests if seen.method == "POST" and "/actions/" not in seen.path]
    assert len(posts) == 1  # never sent again
    assert push().stdout.startswith("2024-04: unchanged, nothing sent")


def test_a_create_answered_too_late_is_not_made_twice(fake, example, monkeypatch):
    monkeypatch.setattr("monthlypost.publish.http.DEADLINE_SECONDS", 2)
    served = fake("kit")
    served.then_fail, served.late_seconds = ["late"], 4  # stored at once, answered after the deadline
    result = push()
    assert result.exit_code == 0, result.output
    assert len(served.drafts) == 1 and records(example)["2024-04"]["id"] == next(iter(served.drafts))


def test_a_gateway_error_before_the_provider_acted_leaves_one_draft_after_the_next_push(fake, example):
    served = fake("brevo")
    served.failures = [502]  # a gateway that passed nothing on
    result = push()
    assert result.exit_code == 1
    assert "Brevo failed on its side (502" in result.stderr
    assert "monthlypost found no draft it made, and remembers that it tried" in result.stderr
    assert records(example)["2024-04"]["pending"]["name"] == "2024-04 · Why Your Hip Pain Keeps Coming Back"
    assert push().exit_code == 0  # the next push looks, finds none, and makes one
    assert len(served.drafts) == 1


def test_a_draft_made_by_a_push_that_was_killed_before_recording_it_is_found(fake, example):
    served = fake("mailerlite")
    assert push("--dry-run").exit_code == 0
    state = example / DRAFTS
    state.parent.mkdir(exist_ok=True)
    served.drafts["99000"] = {  # what a killed push left: the draft in MailerLite, its intent on disk
        "id": "99000",
        "name": "2024-04 · Why Your Hip Pain Keeps Coming Back",
        "status": "draft",
        "type": "regular",
        "groups": ["42"],
        "emails": [{"subject": "Why Your Hip Pain Keeps Coming Back", "content": "<html></html>"}],
    }
    pending = {
        "name": "2024-04 · Why Your Hip Pain Keeps Coming Back",
        "subject": "Why Your Hip Pain Keeps Coming Back",
    }
    state.write_text(json.dumps({"2024-04": {"provider": "mailerlite", "pending": pending}}))
    result = push("--yes")
    assert result.exit_code == 0, result.output
    assert "found the draft an earlier push made (id 99000) but could not record" in result.stdout
    assert list(served.drafts) == ["99000"]
    assert "Watch the video" in served.drafts["99000"]["emails"][0]["content"]  # brought up to date
    assert records(example)["2024-04"]["id"] == "99000"


def test_a_state_folder_that_cannot_be_written_sends_nothing(fake, example):
    served = fake("kit")
    blocker = example / ".monthlypost" / f".email-drafts.json.{os.getpid()}.tmp"
    blocker.mkdir(parents=True)  # the record cannot be written (as on a full disk); it can be read
    result = push()
    assert result.exit_code == 1
    assert "Error: .monthlypost/email-drafts.json: cannot be written" in result.stderr
    assert "; so nothing was sent to Kit" in result.stderr
    assert served.writes() == [] and served.drafts == {}


def test_a_draft_made_but_not_recorded_is_said_and_found_next_time(fake, example):
    served = fake("buttondown")
    blocker = example / ".monthlypost" / f".email-drafts.json.{os.getpid()}.tmp"
    # the disk fills (or the like) between the create and its record
    served.after_store = lambda: blocker.mkdir(parents=True, exist_ok=True)
    result = push()
    assert result.exit_code == 1
    assert "the draft is in Buttondown (id 0c0ffee0-0000-4000-8000-000000000101), but monthlypost could not record" in (
        result.stderr
    )
    served.after_store = None
    blocker.rmdir()
    result = push("--yes")
    assert result.exit_code == 0, result.output
    assert len(served.drafts) == 1


def test_mailchimp_records_the_campaign_before_setting_its_content(fake, example):
    served = fake("mailchimp")
    served.then_fail = ["ok", "502"]  # the campaign is made; setting its content fails at the gateway
    result = push()
    assert result.exit_code == 1
    assert "the draft was made in Mailchimp (id c101), but then: " in result.stderr
    assert records(example)["2024-04"]["id"] == "c101"
    result = push("--yes")
    assert result.exit_code == 0, result.output
    assert list(served.drafts) == ["c101"] and "content" in served.drafts["c101"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_draft_deleted_just_before_its_update_is_not_called_updated(fake, example, provider):
    served = fake(provider)
    assert push().exit_code == 0
    draft_id, _ = served.only()
    changed_script(example)
    before = records(example)["2024-04"]

    def deleted_first(method, path):  # deleted in the app between the read and the update
        if method in ("PUT", "PATCH"):
            served.drafts.pop(draft_id, None)

    served.before = deleted_first
    result = push("--yes")
    assert result.exit_code == 1
    assert "draft updated" not in result.output
    assert f"{NAMES[provider]} has no such thing (404" in result.stderr
    assert records(example)["2024-04"] == before


@pytest.mark.parametrize("provider", ["buttondown", "mailchimp", "brevo"])
def test_a_test_send_refused_as_missing_is_not_called_sent(fake, example, provider):
    served = fake(provider)
    served.contacts = {"me@example.com": [7]}
    assert push().exit_code == 0
    served.before = lambda method, path: served.drafts.clear() if method == "POST" else None
    result = push("--test-to", "me@example.com")
    assert result.exit_code == 1
    assert "a test went to" not in result.output and "no test was sent" in result.stdout


# --- Rate limits and slow answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("wait", ["119", "999999"])
def test_a_retry_after_longer_than_a_minute_stops_at_once_with_the_time_to_try_again(fake, example, wait):
    served = fake("mailerlite")
    served.failures, served.retry_after = [429], wait
    began = time.monotonic()
    result = push()
    assert time.monotonic() - began < 30
    assert result.exit_code == 1
    assert "MailerLite is limiting requests and asks to wait " in result.stderr
    assert "run the same command again after " in result.stderr
    assert len(served.requests) == 1


def test_an_answer_dripped_a_byte_at_a_time_is_cut_off_at_the_deadline(fake, example, monkeypatch):
    monkeypatch.setattr("monthlypost.publish.http.DEADLINE_SECONDS", 1)
    served = fake("brevo")
    assert push().exit_code == 0
    changed_script(example)
    served.drip_seconds = 0.2  # the read of the draft, some hundred bytes: a minute's drip at this deadline
    result = push("--yes")
    assert result.exit_code == 1
    assert "Brevo sent no complete answer within 1 seconds while reading the draft" in result.stderr


# --- The key, against a hostile or broken provider -----------------------------------------------------------------


@pytest.fixture
def elsewhere():
    """Another host, which must never see a key or a newsletter."""
    other = FakeMail("kit").start()
    yield other
    other.stop()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_redirect_to_another_host_is_never_followed(fake, example, elsewhere, provider):
    served = fake(provider)
    served.redirect = elsewhere.url + "/collect"
    result = push()
    assert result.exit_code == 1
    assert elsewhere.requests == []
    assert (
        f"{NAMES[provider]}'s API (127.0.0.1:{served.server.server.server_address[1]}) answered with a redirect "
        in (result.stderr)
    )
    assert f"to another host (127.0.0.1:{elsewhere.server.server.server_address[1]})" in result.stderr
    assert not (example / DRAFTS).exists() or "id" not in records(example).get("2024-04", {})


def test_a_redirect_to_another_host_on_a_read_is_never_followed(fake, example, elsewhere):
    served = fake("brevo")
    assert push().exit_code == 0
    changed_script(example)
    served.redirect = elsewhere.url + "/v3/emailCampaigns/101"
    result = push("--yes")
    assert result.exit_code == 1 and elsewhere.requests == []
    assert "monthlypost never sends your key or your newsletter on to another host" in result.stderr


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_key_quoted_back_in_an_error_is_never_shown(fake, example, provider):
    served = fake(provider)
    served.echo_headers = True
    served.lists = {"none-of-these"}
    served.verified = set()
    if provider in ("kit", "buttondown"):
        served.failures = [400]
    result = push()
    assert result.exit_code == 1
    assert "request headers" in result.stderr  # the provider's words are quoted…
    assert KEYS[provider] not in result.output  # …but never the key
    if provider == "mailchimp":  # nor Basic auth's form of it
        assert base64.b64encode(f"monthlypost:{KEYS[provider]}".encode()).decode() not in result.output
    assert "[the API key]" in result.stderr


@pytest.mark.parametrize(
    "pasted, described",
    [
        ("kit_v4_\u200bkey", "character 8 is a zero-width space (U+200B)"),
        ("kit_v4_key\u2019", "character 11 is RIGHT SINGLE QUOTATION MARK (U+2019)"),
        ("kit\u2011v4", "character 4 is NON-BREAKING HYPHEN (U+2011)"),
        ("kit v4", "character 4 is SPACE (U+0020)"),
    ],
)
def test_a_key_pasted_with_a_character_no_key_holds(fake, example, monkeypatch, pasted, described):
    served = fake("kit")
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_KEY", pasted)
    result = push()
    assert result.exit_code == 1
    assert f"Error: MONTHLYPOST_EMAIL_API_KEY: {described}, which no API key holds; copy the key again from Kit" in (
        result.stderr
    )
    assert "Traceback" not in result.output and served.requests == []


@pytest.mark.parametrize("address", ["http://[bad", "ftp://example.com", "not an address"])
def test_an_api_address_that_is_not_one(fake, example, monkeypatch, address):
    fake("brevo")
    monkeypatch.setenv("MONTHLYPOST_EMAIL_API_URL", address)
    result = push()
    assert result.exit_code == 1
    assert f"Error: MONTHLYPOST_EMAIL_API_URL: '{address}' is not an address like https://api.example.com" in (
        result.stderr
    )
    assert "Traceback" not in result.output


def test_what_the_tests_count_in_a_delivered_email():
    assert unsubscribe_links(f"<a href='{UNSUBSCRIBE}'>x</a> <a href=\"{UNSUBSCRIBE}\">y</a>") == 2
    assert unfilled_tags("{{ unsubscribe_url }} *|UNSUB|* {$unsubscribe} fine") == [
        "{{ unsubscribe_url }}",
        "*|UNSUB|*",
        "{$unsubscribe}",
    ]
