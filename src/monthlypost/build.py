"""check → render → write: a month's outputs, replaced together or not at all."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from monthlypost import __version__
from monthlypost.campaign import Campaign, read_campaign
from monthlypost.config import CONFIG_NAME
from monthlypost.errors import MonthlypostError, Problem, Problems
from monthlypost.video import watch_url
from monthlypost.workspace import DEFAULT_TEMPLATES, Workspace

MANIFEST = "manifest.json"


@dataclass
class Rendered:
    """A month checked and rendered in memory, nothing written yet."""

    month: str
    problems: Problems
    campaign: Campaign | None = None
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems.errors


def render_month(workspace: Workspace, month: str) -> Rendered:
    """Run every check on a month and render its outputs, collecting all problems."""
    import jinja2  # the renderers load only when something is rendered, not for list or an up-to-date build

    from monthlypost.render import context, environment, template_problem
    from monthlypost.render.blog import render_blog
    from monthlypost.render.description import render_description
    from monthlypost.render.email import message, render_email

    settings = workspace.settings
    problems = Problems(workspace.settings_warnings)
    campaign = read_campaign(month, workspace.folder(month), problems)
    result = Rendered(month, problems, campaign)
    if campaign is None:
        return result
    env = environment(workspace.templates)
    ctx = context(settings, campaign)
    try:
        texts = render_blog(env, ctx, campaign)
        texts["youtube.txt"] = render_description(env, ctx, campaign, settings, problems)
        newsletter = render_email(env, ctx, campaign, settings, problems)
    except jinja2.TemplateError as err:
        problems.append(template_problem(err, workspace.templates))
        return result
    if problems.errors or newsletter is None:
        return result
    texts.update(newsletter)
    files = {name: text.encode("utf-8") for name, text in texts.items()}
    eml = message(settings, campaign, newsletter["newsletter.txt"], newsletter["newsletter.html"])
    files["newsletter.eml"] = eml.as_bytes()
    for image in campaign.images:
        files[image] = (campaign.folder / image).read_bytes()
    files[MANIFEST] = manifest(workspace, campaign, files, problems)
    result.files = files
    return result


def inputs_sha256(workspace: Workspace, campaign_folder: Path) -> str:
    """One hash over everything a month's outputs depend on, to tell when they are stale."""
    digest = hashlib.sha256(f"monthlypost {__version__}\n".encode())
    folders = {"month": campaign_folder, "templates": workspace.templates, "defaults": DEFAULT_TEMPLATES}
    sources = [("settings", workspace.root, workspace.root / CONFIG_NAME)]
    sources += [(kind, folder, path) for kind, folder in folders.items() for path in _files_under(folder)]
    for kind, folder, path in sources:
        # names relative to their folder, so a moved or freshly cloned workspace is not stale
        name = path.relative_to(folder).as_posix()
        digest.update(f"{kind}:{name}:{_sha256(path.read_bytes())}\n".encode())
    return digest.hexdigest()


def _files_under(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(workspace: Workspace, campaign: Campaign, files: dict[str, bytes], problems: Problems) -> bytes:
    def shown(problem: Problem) -> str:
        path = problem.path
        if path is not None and path.is_relative_to(workspace.root):
            path = path.relative_to(workspace.root)
        return f"{path}: {problem.message}" if path else problem.message

    vid = campaign.video_id
    data = {
        "month": campaign.month,
        "title": campaign.title,
        "subject": campaign.subject,
        "preheader": campaign.preheader,
        "video_id": vid,
        "video_url": watch_url(vid),
        "files": {name: _sha256(data) for name, data in sorted(files.items())},
        "warnings": [shown(p) for p in problems.warnings],
        "inputs_sha256": inputs_sha256(workspace, campaign.folder),
        "version": __version__,
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- Reading back what was built -------------------------------------------------


def read_manifest(target: Path) -> dict | None:
    try:
        return json.loads((target / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None


NOT_OURS = "not written by monthlypost; move it elsewhere, or rerun with --force to delete it"
EDITED = "edited since it was built; move it elsewhere, or rerun with --force to replace it"


def edited_files(target: Path, built: dict | None) -> list[Problem]:
    """Files in an output folder that are not exactly what monthlypost wrote there."""
    if not target.is_dir():
        return []
    recorded = (built or {}).get("files", {})
    edited = []
    for path in _files_under(target):
        name = path.relative_to(target).as_posix()
        if name == MANIFEST and built is not None:
            continue
        if name not in recorded:
            edited.append(Problem(path, NOT_OURS))
        elif recorded[name] != _sha256(path.read_bytes()):
            edited.append(Problem(path, EDITED))
    return edited


def state(workspace: Workspace, month: str, out: Path | None = None) -> str:
    """'not built', 'built' (current and intact) or 'stale' for a month's outputs."""
    target = workspace.dist(out) / month
    built = read_manifest(target)
    if built is None:
        return "not built"
    intact = not edited_files(target, built) and all((target / name).is_file() for name in built.get("files", {}))
    current = built.get("inputs_sha256") == inputs_sha256(workspace, workspace.folder(month))
    return "built" if intact and current else "stale"


# --- Writing ----------------------------------------------------------------------


def write_month(target: Path, files: dict[str, bytes], force: bool = False) -> None:
    """Replace ``target`` with exactly ``files``: all of them, or nothing changes.

    Files there that monthlypost did not write (or that were edited since) are
    kept unless ``force``: they would otherwise be lost.
    """
    if not force:
        edited = edited_files(target, read_manifest(target))
        if edited:
            raise MonthlypostError(edited)
    parent = target.parent
    staging = parent / f".{target.name}.new-{os.getpid()}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        _swap(staging, target)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise MonthlypostError.at(target, f"could not write the outputs: {err.strerror or err}") from err


def _swap(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    target.rename(old)
    try:
        staging.rename(target)
    except OSError:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


# --- Building months -----------------------------------------------------------


@dataclass
class Outcome:
    month: str
    status: str  # "built" | "up to date" | "failed"
    target: Path
    problems: list[Problem]


def build(workspace: Workspace, months: list[str], out: Path | None = None, force: bool = False) -> Iterator[Outcome]:
    """Check and build each month; a month with errors is not written, the others are."""
    for month in months:
        target = workspace.dist(out) / month
        if not force and state(workspace, month, out) == "built":
            warnings = [Problem(None, w, "warning") for w in (read_manifest(target) or {}).get("warnings", [])]
            yield Outcome(month, "up to date", target, warnings)
            continue
        rendered = render_month(workspace, month)
        if not rendered.ok:
            yield Outcome(month, "failed", target, rendered.problems)
            continue
        try:
            write_month(target, rendered.files, force)
        except MonthlypostError as err:
            yield Outcome(month, "failed", target, [*rendered.problems.warnings, *err.problems])
            continue
        yield Outcome(month, "built", target, rendered.problems)
