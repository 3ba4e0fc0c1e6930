"""email push (SPEC §9): each month's newsletter as a draft in the mail provider, never sent to subscribers.

For each month: build it if stale (a month with errors is never pushed);
then, if .monthlypost/email-drafts.json knows its draft, ask the provider
what became of it: a draft that was sent or scheduled is never touched, one
deleted in the provider's app is created anew, one that holds exactly what
would be sent is left alone, and any other is updated in place (its content,
never its audience) after the change is shown and confirmed. A month with no
draft yet gets one. The record keeps the draft's id and hashes of what was
sent, never the API key.

One draft, whatever fails: before a create, the record says a push is
making one (and how to know it in the provider); after the create, it holds
the draft's id, written as soon as the provider gives one. A create whose
answer never came (a timeout, a dropped connection, a gateway error, a kill)
is followed, then or at the next push, by a look for the draft it may have
made, and only a draft not found is made again.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monthlypost.errors import MonthlypostError, Problem
from monthlypost.paths import read_state, write_entry
from monthlypost.publish import secret, valid_id
from monthlypost.publish.flow import CREATE, UNCHANGED, UPDATE, Channel, Confirm, Plan, Result, Say, publish
from monthlypost.publish.http import KEY_VARIABLE, ProviderError
from monthlypost.publish.providers import DRAFT, PROVIDERS, Draft, Provider, Remote

if TYPE_CHECKING:
    from monthlypost.build import Outcome
    from monthlypost.config import Settings
    from monthlypost.workspace import Workspace

DRAFTS = "email-drafts.json"
PASTE = "paste newsletter.html by hand instead (README: 'The newsletter')"


def drafts_path(state: Path) -> Path:
    return state / DRAFTS


def content_sha256(subject: str, preheader: str, html: bytes, text: bytes) -> str:
    """What a draft says (not who it is from): what `list` compares with the current build."""
    parts = [subject, preheader, hashlib.sha256(html).hexdigest(), hashlib.sha256(text).hexdigest()]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def draft_sha256(draft: Draft, provider: str) -> str:
    """Everything a push sends, so that any change to it (the sender too) is an update."""
    fields = {**draft.__dict__, "provider": provider}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def draft_state(record: Any, files: dict[str, bytes], built: dict[str, Any]) -> str | None:
    """For `list`: 'draft' when the provider holds this build's email, 'draft, older' when an earlier one."""
    if not isinstance(record, dict) or "content_sha256" not in record:
        return None
    current = content_sha256(
        str(built.get("subject", "")),
        str(built.get("preheader", "")),
        files.get("newsletter.html", b""),
        files.get("newsletter.txt", b""),
    )
    return "draft" if record["content_sha256"] == current else "draft, older"


def provider_for(settings: Settings) -> Provider:
    """The adapter for [email] provider, with the key from the environment; whatever is missing, said."""
    provider = settings.email.provider
    if provider not in PROVIDERS:
        names = ", ".join(PROVIDERS)
        raise MonthlypostError.at(
            settings.path,
            f'[email] provider = "{provider}": email push puts drafts into {names}; for {provider}, {PASTE}',
        )
    adapter = PROVIDERS[provider]
    key = secret(KEY_VARIABLE, f"your {adapter.name} API key (made {adapter.key_help})", "API key", adapter.name)
    if adapter.audience and not settings.email.list:
        raise MonthlypostError.at(settings.path, f"[email] list: required for {adapter.name}: {adapter.audience}")
    return adapter.connect(key)


def draft_for(outcome: Outcome, settings: Settings) -> Draft:
    files = outcome.files
    manifest = outcome.manifest
    sender = settings.from_address or ""
    reply = settings.email.reply_to
    return Draft(
        month=outcome.month,
        title=f"{outcome.month} · {manifest['title']}",
        subject=str(manifest["subject"]),
        preheader=str(manifest["preheader"]),
        html=files["newsletter.html"].decode("utf-8"),
        text=files["newsletter.txt"].decode("utf-8"),
        from_name=settings.from_name,
        from_address=sender,
        from_chosen=settings.email.from_address is not None,
        reply_to=reply if reply and reply.lower() != sender.lower() else None,
        audience=None if settings.email.list is None else str(settings.email.list),
        template=settings.mail_template,
    )


def changes(old: dict[str, Any], draft: Draft, elsewhere: list[str]) -> str:
    """What an update changes: the subject, the preview text, the plain text as a diff, and anything else
    (``elsewhere``: the sender, the template)."""
    lines = []
    for label, key, new in (("Subject", "subject", draft.subject), ("Preview text", "preheader", draft.preheader)):
        if old.get(key) != new:
            lines += [f"{label}: {old.get(key, '(unknown)')}", f"    now: {new}"]
    lines += elsewhere
    if old.get("text") != draft.text:
        diff = difflib.unified_diff(
            str(old.get("text") or "").splitlines(),
            draft.text.splitlines(),
            "in the draft now",
            "this build",
            lineterm="",
        )
        lines += list(diff)
    if not lines:
        lines.append("Only the HTML changed; the text reads the same.")
    return "\n".join(lines)


def elsewhere(provider: Provider, draft: Draft, remote: Remote) -> list[str]:
    """The sender's or template's changes an update makes, as the provider holds them now."""
    lines = []
    for label, new in provider.planned(draft, remote).items():
        old = remote.shown.get(label)
        if old is not None and old != new:
            lines += [f"{label}: {old}", f"    now: {new}"]
    return lines


class Newsletter(Channel):
    """The month's newsletter as a draft in the mail provider: a channel of the publishing flow."""

    name = "email"

    def __init__(self, workspace: Workspace, test_to: list[str], schedule: str | None = None):
        self.workspace = workspace
        self.settings = workspace.settings
        self.provider = provider_for(self.settings)
        self.path = drafts_path(workspace.state)
        self.test_to = test_to
        self.notes = provider_notes(self.settings)
        self.schedule = schedule  # "schedule", "unschedule" or None

    def close(self) -> None:
        self.provider.client.close()

    def plan(self, outcome: Outcome, say: Say) -> Plan:
        provider, month = self.provider, outcome.month
        name = self.settings.email.provider
        draft = draft_for(outcome, self.settings)
        record = recorded(self.path, month, name, provider.name)
        notes: list[str] = []
        if record is not None and "id" not in record:  # a push that was making the draft never heard back
            found = provider.find(record["pending"])
            record = {"provider": name, "id": found[0]} if found else None
            if found:
                notes.append(f"found the draft an earlier push made (id {found[0]}) but could not record")
                notes += extra_drafts(provider, found)
        base = {"draft": draft, "notes": notes, "adopted": bool(notes)}
        delivery = f"{month}: {provider.delivery(draft)}"
        if record is None:
            return self._create(month, draft, delivery, {**base, "status": "created"})
        known = str(record["id"])
        remote = provider.read(known)
        if remote is None:
            say(f"{month}: the draft was deleted in {provider.name}; making a new one")
            return self._create(month, draft, delivery, {**base, "status": "recreated"})
        if self.schedule == "unschedule":
            return self._unscheduling(month, {**base, "id": known, "remote": remote})
        if remote.scheduled and self.schedule == "schedule":
            raise MonthlypostError.at(
                None,
                f"{month}: the email is scheduled already in {provider.name}; to change it, take it back first "
                f"(email push {month} --unschedule), then schedule it again",
            )
        if remote.state != DRAFT:
            raise MonthlypostError.at(
                None,
                f"{month}: {provider.name} says this email was sent or is scheduled, so monthlypost leaves it "
                "alone; make the change in a new email there, or delete it there to push anew",
            )
        data = {**base, "id": known, "remote": remote}
        if record.get("sha256") == draft_sha256(draft, name):
            plan = Plan(month, UNCHANGED, problems=list(self.notes), data=data)
        else:
            plan = Plan(
                month,
                UPDATE,
                show=f"{changes(record, draft, elsewhere(provider, draft, remote))}\n{delivery}",
                question=f"Update the draft of {month}'s newsletter with these changes?",
                problems=list(self.notes),
                data=data,
            )
        return self._with_schedule(plan) if self.schedule else plan

    def _create(self, month: str, draft: Draft, delivery: str, data: dict[str, Any]) -> Plan:
        if self.schedule == "unschedule":
            raise MonthlypostError.at(None, f"{month}: no email of this month in {self.provider.name} to unschedule")
        dry = f"{month}: would create a draft in {self.provider.name}: “{draft.subject}” – {draft.preheader}"
        plan = Plan(month, CREATE, show=delivery, dry=dry, problems=list(self.notes), data=data)
        return self._with_schedule(plan) if self.schedule else plan

    def _with_schedule(self, plan: Plan) -> Plan:
        """The plan, with the email scheduled at the month's publish_at and delay_minutes as well; checked
        first: the moment is ahead by 15 minutes or more, and never before the video's and the post's."""
        from monthlypost.moments import to_schedule, utc

        month = plan.month
        moment, _ = to_schedule(self.workspace, month, "email")  # delay_minutes is 0 or more: never before the video
        plan.data["schedule"] = moment.email
        if self.settings.blog.url is None:  # the email shows YouTube's thumbnail, served for no private video
            plan.problems.append(
                Problem(
                    None,
                    f"{month}: the email shows YouTube's thumbnail of the video, which YouTube serves for no private "
                    f"video: if the video is not public by {moment.email:%Y-%m-%d %H:%M}, readers see no picture. "
                    "Set [blog] url, so the email carries its own (email.jpg, beside the post)",
                    "warning",
                )
            )
        line = (
            f"{month}: then scheduled in {self.provider.name} for {utc(moment.email)} ({moment.email:%Y-%m-%d %H:%M})"
        )
        if plan.action == UNCHANGED:
            plan.data["only_schedule"] = True
            question = f"Schedule {month}'s newsletter to be sent then?"
            return Plan(month, UPDATE, show=line, question=question, problems=plan.problems, data=plan.data)
        plan.show = "\n".join(filter(None, [plan.show, line]))
        return plan

    def _unscheduling(self, month: str, data: dict[str, Any]) -> Plan:
        remote = data["remote"]
        if not remote.scheduled:
            if remote.state == DRAFT:
                return Plan(month, UNCHANGED, problems=list(self.notes), data=data)
            raise MonthlypostError.at(
                None, f"{month}: {self.provider.name} says this email was sent; it cannot be unscheduled"
            )
        data["unschedule"] = True
        question = f"Take {month}'s scheduled newsletter back to a draft?"
        show = f"{month}: the email is scheduled in {self.provider.name}; it becomes a draft again"
        return Plan(month, UPDATE, show=show, question=question, problems=list(self.notes), data=data)

    def write(self, plan: Plan) -> Result:
        data, provider, month = plan.data, self.provider, plan.month
        if data.get("unschedule"):
            provider.unschedule(data["id"], data["draft"], data["remote"])
            mark_scheduled(self.path, month, None)
            return Result(month, "unscheduled", detail=f"id {data['id']}")
        result = self._write_draft(plan) if not data.get("only_schedule") else None
        if "schedule" not in data:
            assert result is not None
            return result
        from monthlypost.moments import utc

        when = data["schedule"]
        remote = provider.read(data["id"])  # as the provider holds it now: what its schedule call sends back
        if remote is None or remote.state != DRAFT:
            raise MonthlypostError.at(None, f"{month}: the draft changed in {provider.name} meanwhile; not scheduled")
        note = provider.schedule(data["id"], when, data["draft"], remote)
        mark_scheduled(self.path, month, utc(when))
        detail = "; ".join(filter(None, [f"id {data['id']}", f"to be sent at {utc(when)}", note]))
        return Result(month, "scheduled", detail=detail)

    def _write_draft(self, plan: Plan) -> Result:
        data, provider, month = plan.data, self.provider, plan.month
        draft, name = data["draft"], self.settings.email.provider
        digest = draft_sha256(draft, name)
        if data["adopted"]:
            remember_id(self.path, month, name, data["id"])
        if plan.action == UPDATE:
            provider.update(data["id"], draft, data["remote"])
            recorded_or_said(self.path, month, data["id"], draft, digest, name, provider)
            return Result(month, "updated", detail="; ".join(data["notes"]))
        created = create(provider, draft, self.path, month, name)
        data["id"] = created.id
        recorded_or_said(self.path, month, created.id, draft, digest, name, provider)
        return Result(month, data["status"], detail="; ".join([f"id {created.id}", *created.notes]))

    def unchanged(self, plan: Plan, dry_run: bool) -> Result:
        if plan.data["adopted"] and not dry_run:
            remember_id(self.path, plan.month, self.settings.email.provider, plan.data["id"])
        return Result(plan.month, "unchanged", list(plan.problems), "; ".join(plan.data["notes"]))

    def finish(self, result: Result, plan: Plan, dry_run: bool) -> None:
        if self.test_to and not dry_run and result.status in ("created", "recreated", "updated", "unchanged"):
            tested(result, self.provider, plan.data["id"], self.test_to)


def push(
    workspace: Workspace,
    months: list[str],
    dry_run: bool,
    test_to: list[str],
    confirm: Confirm,
    say: Say,
    done: Callable[[Result], None],
    schedule: str | None = None,
) -> list[Result]:
    """Put each month's newsletter into the provider as a draft (and, with ``schedule``, schedule it, or take
    it back); every month's outcome is its own."""
    channel = Newsletter(workspace, test_to, schedule)
    results, _ = publish(workspace, months, channel, dry_run, confirm, say, done)
    return results


def mark_scheduled(path: Path, month: str, when: str | None) -> None:
    """The record's note of when the email is to be sent (None: not scheduled)."""
    record = read_state(path).get(month)
    if isinstance(record, dict):
        entry = {key: value for key, value in record.items() if key != "scheduled_at"}
        write_entry(path, month, {**entry, **({"scheduled_at": when} if when else {})})


def provider_notes(settings: Settings) -> list[Problem]:
    """What the settings ask that the provider cannot do."""
    if (
        settings.email.provider == "mailchimp"
        and settings.email.reply_to
        and settings.reply_to != settings.from_address
    ):
        return [
            Problem(
                settings.path,
                "[email] reply_to: Mailchimp has one address, for sending and for replies: the draft is from "
                f"{settings.from_address}, and replies go there too",
                "warning",
            )
        ]
    return []


def recorded(path: Path, month: str, provider: str, name: str) -> dict[str, Any] | None:
    """The month's record for this provider: an id (with what was sent), or a push that was making one."""
    record = read_state(path).get(month)
    if not isinstance(record, dict) or record.get("provider") != provider:
        return None
    if "id" in record:
        if valid_id(record.get("id")) is None:
            raise MonthlypostError.at(
                path,
                f"damaged: {month}'s draft id is not one {name} gives; remove {month}'s entry, "
                "and push again to make a new draft",
            )
        return record
    pending = record.get("pending")
    if isinstance(pending, dict) and all(isinstance(v, str) for v in pending.values()) and "name" in pending:
        return record
    return None


@dataclass
class Created:
    id: str
    notes: list[str] = field(default_factory=list)


def create(provider: Provider, draft: Draft, path: Path, month: str, name: str) -> Created:
    """The new draft, made once: the push recorded first, the id as soon as there is one, and after a create
    whose answer was lost, the draft looked for rather than made again."""
    marker = provider.marker(draft)
    try:
        remember_pending(path, month, name, marker)
    except MonthlypostError as err:
        raise MonthlypostError(
            [Problem(p.path, f"{p.message}; so nothing was sent to {provider.name}", p.severity) for p in err.problems]
        ) from None
    made: list[str] = []

    def made_now(draft_id: str) -> None:
        made.append(draft_id)
        remember_id(path, month, name, draft_id)

    try:
        return Created(provider.create(draft, made_now))
    except ProviderError as err:
        if made:  # made and recorded; a later step (Mailchimp's content) failed
            raise ProviderError(
                f"{month}: the draft was made in {provider.name} (id {made[0]}), but then: {err}; push again to "
                "finish it (it is recorded, so the same draft is updated)"
            ) from None
        if not err.ambiguous:
            forget(path, month, name)
            raise
        try:
            found = provider.find(marker)
        except ProviderError as looking:
            found, err = [], ProviderError(f"{err}; and looking for it failed too: {looking}")
        if not found:
            raise ProviderError(
                f"{err}. monthlypost found no draft it made, and remembers that it tried: the next push looks "
                f"for it again in {provider.name} before making one"
            ) from None
        return Created(
            found[0], ["its answer was lost on the way, and monthlypost found it", *extra_drafts(provider, found)]
        )


def extra_drafts(provider: Provider, found: list[str]) -> list[str]:
    if len(found) < 2:
        return []
    others = ", ".join(found[1:])
    return [
        f"{provider.name} holds {len(found)} such drafts: monthlypost keeps the newest; delete the others ({others})"
    ]


def tested(result: Result, provider: Provider, draft_id: str, addresses: list[str]) -> None:
    """Have the provider send a test; a test that fails leaves the month's outcome as it is, said beside it."""
    try:
        said = send_test(provider, draft_id, addresses)
    except ProviderError as err:
        result.problems += err.problems
        said = "no test was sent"
    result.detail = "; ".join(filter(None, [result.detail, said]))


def remember_pending(path: Path, month: str, provider: str, marker: dict[str, str]) -> None:
    """Before a create: a push is making this month's draft, and how to know it in the provider."""
    write_entry(path, month, {"provider": provider, "pending": marker})


def remember_id(path: Path, month: str, provider: str, draft_id: str) -> None:
    """The draft exists: its id, before anything else is done with it (its content not known to be set)."""
    write_entry(path, month, {"provider": provider, "id": draft_id})


def forget(path: Path, month: str, provider: str) -> None:
    """A create the provider refused made nothing: no push is making a draft any more."""
    record = read_state(path).get(month)
    if isinstance(record, dict) and "pending" in record:
        write_entry(path, month, None)


def recorded_or_said(
    path: Path, month: str, draft_id: str, draft: Draft, digest: str, provider: str, adapter: Provider
) -> None:
    try:
        remember(path, month, draft_id, draft, digest, provider)
    except MonthlypostError as err:
        reason = "; ".join(p.message for p in err.problems)
        raise MonthlypostError.at(
            path,
            f"{reason}: the draft is in {adapter.name} (id {draft_id}), but monthlypost could not record what it "
            "holds; the next push compares it again",
        ) from None


def remember(path: Path, month: str, draft_id: str, draft: Draft, digest: str, provider: str) -> None:
    """The draft's id and what it holds now, for the next push (and `list`); never the key."""
    entry = {
        "provider": provider,
        "id": draft_id,
        "sha256": digest,
        "content_sha256": content_sha256(
            draft.subject, draft.preheader, draft.html.encode("utf-8"), draft.text.encode("utf-8")
        ),
        "subject": draft.subject,
        "preheader": draft.preheader,
        "text": draft.text,
    }
    write_entry(path, month, entry)


def send_test(provider: Provider, draft_id: str, addresses: list[str]) -> str:
    if not provider.tests:
        return (
            f"{provider.name}'s API sends no test of a draft: send one from {provider.name}, or run "
            f"'monthlypost send-test MONTH --to {addresses[0]}' (your own mail server)"
        )
    provider.send_test(draft_id, addresses)
    return f"a test went to {', '.join(addresses)}"
