"""email push (SPEC §9): each month's newsletter as a draft in the mail provider, never sent to subscribers.

For each month: build it if stale (a month with errors is never pushed);
then, if .monthlypost/email-drafts.json knows its draft, ask the provider
what became of it: a draft that was sent or scheduled is never touched, one
deleted in the provider's app is created anew, one that holds exactly what
would be sent is left alone, and any other is updated in place after the
change is shown and confirmed. A month with no draft yet gets one. The
record keeps the draft's id and hashes of what was sent, never the API key.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monthlypost.errors import MonthlypostError, Problem
from monthlypost.paths import read_state, write_state
from monthlypost.publish.http import KEY_VARIABLE, ProviderError
from monthlypost.publish.providers import DRAFT, GONE, PROVIDERS, Draft, Provider, valid_id

if TYPE_CHECKING:
    from monthlypost.build import Outcome
    from monthlypost.config import Settings
    from monthlypost.workspace import Workspace

DRAFTS = "email-drafts.json"
PASTE = "paste newsletter.html by hand instead (README: 'The newsletter')"

Confirm = Callable[[str], bool]  # (month) → go ahead with the update?
Say = Callable[[str], None]


@dataclass
class Result:
    month: str
    status: str  # created | updated | recreated | unchanged | would create | would update | skipped | failed
    problems: list[Problem] = field(default_factory=list)
    detail: str = ""


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
    key = os.environ.get(KEY_VARIABLE, "").strip()
    if not key:
        raise MonthlypostError.at(
            None,
            f"{KEY_VARIABLE} is not set: export it with your {adapter.name} API key (made {adapter.key_help}); "
            "monthlypost reads the key from there only, never from a file",
        )
    if adapter.audience and not settings.email.list:
        raise MonthlypostError.at(settings.path, f"[email] list: required for {adapter.name}: {adapter.audience}")
    return adapter.connect(key)


def draft_for(outcome: Outcome, settings: Settings) -> Draft:
    files = outcome.files
    manifest = outcome.manifest
    sender = settings.from_address or ""
    return Draft(
        month=outcome.month,
        title=f"{outcome.month} · {manifest['title']}",
        subject=str(manifest["subject"]),
        preheader=str(manifest["preheader"]),
        html=files["newsletter.html"].decode("utf-8"),
        text=files["newsletter.txt"].decode("utf-8"),
        from_name=settings.from_name,
        from_address=sender,
        reply_to=settings.reply_to or sender,
        audience=None if settings.email.list is None else str(settings.email.list),
    )


def changes(old: dict[str, Any], draft: Draft) -> str:
    """What an update changes: the subject, the preview text, and the plain text as a diff."""
    lines = []
    for label, key, new in (("Subject", "subject", draft.subject), ("Preview text", "preheader", draft.preheader)):
        if old.get(key) != new:
            lines += [f"{label}: {old.get(key, '(unknown)')}", f"    now: {new}"]
    if old.get("text") != draft.text:
        diff = difflib.unified_diff(
            str(old.get("text", "")).splitlines(),
            draft.text.splitlines(),
            "in the draft now",
            "this build",
            lineterm="",
        )
        lines += list(diff)
    if not lines:
        lines.append("Only the HTML or the sender changed; the text reads the same.")
    return "\n".join(lines)


def push(
    workspace: Workspace,
    months: list[str],
    dry_run: bool,
    test_to: list[str],
    confirm: Confirm,
    say: Say,
    done: Callable[[Result], None],
) -> list[Result]:
    """Put each month's newsletter into the provider as a draft; every month's outcome is its own."""
    from monthlypost.build import build

    settings = workspace.settings
    provider = provider_for(settings)
    path = drafts_path(workspace.state)
    results: list[Result] = []

    def finish(result: Result) -> None:
        results.append(result)
        done(result)

    try:
        for outcome in build(workspace, months):
            if outcome.status == "failed":
                finish(Result(outcome.month, "failed", list(outcome.problems), "not built, so nothing was sent"))
                continue
            warnings = list(outcome.problems)
            try:
                result = push_month(workspace, provider, outcome, dry_run, test_to, confirm, say, path)
            except ProviderError as err:
                result = Result(outcome.month, "failed", err.problems)
            result.problems[:0] = warnings
            finish(result)
    finally:
        provider.client.close()
    return results


def push_month(
    workspace: Workspace,
    provider: Provider,
    outcome: Outcome,
    dry_run: bool,
    test_to: list[str],
    confirm: Confirm,
    say: Say,
    path: Path,
) -> Result:
    month = outcome.month
    settings = workspace.settings
    draft = draft_for(outcome, settings)
    digest = draft_sha256(draft, settings.email.provider)
    record = read_state(path).get(month)
    if not isinstance(record, dict) or record.get("provider") != settings.email.provider:
        record = None
    elif valid_id(record.get("id")) is None:
        raise MonthlypostError.at(
            path,
            f"damaged: {month}'s draft id is not one {provider.name} gives; remove {month}'s entry, "
            "and push again to make a new draft",
        )

    status = "created"
    if record is not None:
        known = str(record["id"])
        remote = provider.state(known)
        if remote == GONE:
            say(f"{month}: the draft was deleted in {provider.name}; making a new one")
            status = "recreated"
        elif remote != DRAFT:
            return Result(
                month,
                "failed",
                [
                    Problem(
                        None,
                        f"{month}: {provider.name} says this email was sent or is scheduled, so monthlypost "
                        "leaves it alone; make the change in a new email there, or delete it there to push anew",
                    )
                ],
            )
        elif record.get("sha256") == digest:
            result = Result(month, "unchanged")
            if test_to and not dry_run:
                result.detail = send_test(provider, known, test_to)
            return result
        else:
            say(changes(record, draft))
            if dry_run:
                return Result(month, "would update")
            if not confirm(month):
                return Result(month, "skipped")
            provider.update(known, draft)
            remember(path, month, known, draft, digest, settings.email.provider)
            result = Result(month, "updated")
            if test_to:
                result.detail = send_test(provider, known, test_to)
            return result

    if dry_run:
        say(f"{month}: would create a draft in {provider.name}: “{draft.subject}” – {draft.preheader}")
        return Result(month, "would create")
    created = provider.create(draft)
    remember(path, month, created, draft, digest, settings.email.provider)
    result = Result(month, status, detail=f"id {created}")
    if test_to:
        result.detail += "; " + send_test(provider, created, test_to)
    return result


def remember(path: Path, month: str, draft_id: str, draft: Draft, digest: str, provider: str) -> None:
    """The draft's id and what it holds now, for the next push (and `list`); never the key."""
    records = read_state(path)
    records[month] = {
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
    write_state(path, records)


def send_test(provider: Provider, draft_id: str, addresses: list[str]) -> str:
    if not provider.tests:
        return (
            f"{provider.name}'s API sends no test of a draft: send one from {provider.name}, or run "
            f"'monthlypost send-test MONTH --to {addresses[0]}' (your own mail server)"
        )
    provider.send_test(draft_id, addresses)
    return f"a test went to {', '.join(addresses)}"
