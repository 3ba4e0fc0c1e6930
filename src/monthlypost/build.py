"""check → render → write: a month's outputs, replaced together or not at all."""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from monthlypost import __version__
from monthlypost.errors import MonthlypostError, Problem, Problems
from monthlypost.layout import CONFIG_NAME
from monthlypost.outputs import (
    MANIFEST,
    Folder,
    inspect,
    kept_images,
    recover,
    replace,
    seal,
    sha256,
    temporary_folders,
)
from monthlypost.sources import SCRIPT_NAME, TOPIC_NAME, MonthFiles
from monthlypost.system import can_fork
from monthlypost.workspace import Workspace

if TYPE_CHECKING:  # checking and rendering load only when a month is rendered, not to tell it is up to date
    from monthlypost.campaign import Campaign


# an image key → the images made from it, with their digests, if at hand
Images = Callable[[str], "tuple[dict[str, bytes], dict[str, str]] | None"]


@dataclass
class Rendered:
    """A month checked and rendered in memory, nothing written yet."""

    month: str
    problems: Problems
    campaign: Campaign | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems.errors


def render_month(
    workspace: Workspace, month: str, files: MonthFiles | None = None, images: Images | None = None
) -> Rendered:
    """Run every check on a month and render its outputs, collecting all problems.

    ``images``: the month's images made before from an image key (see image_key), if they are at hand, to be
    taken as they are when what they show has not changed (drawing them is most of a month's rendering time).
    """
    from monthlypost.campaign import read_campaign
    from monthlypost.image import ImageProblem
    from monthlypost.moments import moments

    problems = Problems(workspace.settings_warnings)
    result = Rendered(month, problems)
    try:
        files = files or workspace.month_files(month)
    except MonthlypostError as err:
        problems.extend(err.problems)
        return result
    campaign = read_campaign(month, files, problems)
    result.campaign = campaign
    if campaign is None:
        return result
    moments(workspace.settings, campaign, problems)  # a publish_at the author's zone skips, or passes twice
    others = [m for m in _slugs(workspace).get(campaign.slug, []) if m != month]
    if others:
        problems.error(
            campaign.topic_path,
            f"slug: '{campaign.slug}' is also the slug of {', '.join(others)}: two posts would share one address "
            "(their canonical link, og:url and the post on your site); give one of them a slug of its own",
        )
    if problems.errors:
        return result
    workspace.sources.used.clear()
    rendered = _run_templates(workspace, campaign, problems)
    if rendered is None or problems.errors:
        return result
    out, entry = rendered
    for image in campaign.images:
        out[image] = files.read(image)
    key = image_key(workspace, campaign)
    kept = images(key) if images is not None else None  # with their digests, checked as they were read
    try:
        out.update(kept[0] if kept else _drawn_images(workspace, campaign))
    except ImageProblem as err:  # a thumbnail whose header read well, but not its pixels
        problems.error(campaign.folder / str(campaign.thumbnail), str(err))
        return result
    inputs = month_inputs(workspace, campaign)
    result.manifest = manifest(workspace, campaign, out, problems, inputs, kept[1] if kept else {})
    result.manifest["image_key"] = key
    if entry is not None:
        result.manifest["entry"] = entry
    out[MANIFEST] = seal(result.manifest)
    result.files = out
    return result


def _run_templates(
    workspace: Workspace, campaign: Campaign, problems: Problems
) -> tuple[dict[str, bytes], dict[str, Any] | None] | None:
    """Every output but the manifest and the images, and the month's entry in the archive; None when a
    template failed (the failure is in ``problems``)."""
    from monthlypost.archive import links, month_entry
    from monthlypost.render import context, render_budget
    from monthlypost.render.blog import render_blog
    from monthlypost.render.description import render_description
    from monthlypost.render.email import message, render_email

    settings = workspace.settings
    env = workspace.jinja
    try:
        with render_budget():
            ctx = {**context(settings, campaign), "archive": links(workspace, campaign.month)}
            texts = render_blog(env, ctx, campaign)
            texts["youtube.txt"] = render_description(env, ctx, campaign, settings, problems)
            newsletter = render_email(env, ctx, campaign, settings, problems)
            entry = month_entry(ctx, campaign)
        if newsletter is None:
            return None
        texts.update(newsletter)
        eml = message(settings, campaign, newsletter["newsletter.txt"], newsletter["newsletter.html"])
    except Exception as err:
        problems.extend(template_failures(err, workspace))
    else:
        return {**{name: text.encode("utf-8") for name, text in texts.items()}, "newsletter.eml": eml}, entry
    return None


def _slugs(workspace: Workspace) -> dict[str, list[str]]:
    """Every month by its slug, read once per run (each month is checked against the others)."""

    def read() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for month in workspace.months():
            peeked = workspace.peek(month)
            if peeked is not None:
                found.setdefault(peeked[1], []).append(month)
        return found

    return workspace.remembered(("slugs",), read)


def image_key(workspace: Workspace, campaign: Campaign) -> str:
    """What the month's images are made from: the same key, the same pixels."""
    settings = workspace.settings
    master = campaign.files.digest(campaign.thumbnail) if campaign.thumbnail else None
    made_of = [__version__, campaign.title, settings.author.name, settings.email.accent_color, master]
    return sha256(json.dumps(made_of).encode("utf-8"))


def _drawn_images(workspace: Workspace, campaign: Campaign) -> dict[str, bytes]:
    from monthlypost.image import Look, month_images

    settings = workspace.settings
    look = Look(campaign.title, settings.author.name, settings.email.accent_color)
    return month_images(look, campaign.files.read(campaign.thumbnail) if campaign.thumbnail else None)


def template_failures(err: Exception, workspace: Workspace) -> list[Problem]:
    """What templates failing means, said where they failed; what is not a template's doing is raised again
    (a bug of ours, which --debug shows)."""
    import jinja2

    from monthlypost.render import TemplateTimeout, template_problem

    if isinstance(err, TemplateTimeout):
        said = f"{err}: a loop that never ends, or one far too long? A month's templates have a few seconds"
        where = _template_frame(err, workspace)
        return [Problem(where[0], f"line {where[1]}: {said}") if where else Problem(workspace.templates, said)]
    if isinstance(err, jinja2.TemplateError):
        return [template_problem(err, workspace.templates)]
    if isinstance(err, MonthlypostError):  # a template file that cannot be read, or invalid MJML
        return err.problems
    if isinstance(err, RecursionError):
        path = (_template_frame(err, workspace) or (workspace.templates, 0))[0]
        message = (
            "extends or includes itself (directly or through another template), so it never ends; "
            'to build on the default, extend "default/NAME"'
        )
        return [Problem(path, message)]
    where = _template_frame(err, workspace)  # an expression in the workspace's own template failed ({{ 1/0 }})
    if where is None:
        raise err
    return [Problem(where[0], f"line {where[1]}: {type(err).__name__}: {err}")]


def _template_frame(err: BaseException, workspace: Workspace) -> tuple[Path, int] | None:
    """The innermost frame of the workspace's own templates in a traceback, as (file, line)."""
    import traceback

    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        path = Path(frame.filename)
        if path.is_relative_to(workspace.templates):
            return path, frame.lineno or 0
    return None


# --- Inputs: what a month's outputs depend on, to tell when they are stale ---------------------


def month_inputs(workspace: Workspace, campaign: Campaign) -> dict[str, str]:
    """Each file the month used, by a name that survives moving the workspace → the sha256 of the bytes rendered."""
    inputs = {CONFIG_NAME: workspace.settings_sha256}
    for name in (TOPIC_NAME, SCRIPT_NAME, *campaign.images, *filter(None, [campaign.thumbnail])):
        inputs[f"month/{name}"] = campaign.files.digest(name)
    if campaign.topic.thumbnail is None:  # a thumbnail.jpg put in the folder later makes the month stale
        inputs[FOUND] = _found(campaign.files)
    inputs[NEAR] = _near(workspace, campaign.month)
    for name in sorted(workspace.sources.used):
        template = workspace.sources.find(name)
        assert template is not None, "only templates that were found are recorded as used"
        inputs[f"templates/{name}"] = template.sha256
    return inputs


FOUND = "thumbnail"  # the input that is which thumbnail.jpg/.png the month's folder has, if any


def _found(files: MonthFiles) -> str:
    name = files.thumbnail
    return f"{name}:{files.digest(name)}" if name else "none"


NEAR = "archive"  # the input that is the months before and after (their titles and addresses), for the links


def _near(workspace: Workspace, month: str) -> str:
    """The months before and after, with the titles and slugs their links show (told without the settings,
    which are an input of their own)."""
    from monthlypost.archive import neighbours

    return sha256(json.dumps(neighbours(workspace, month)).encode("utf-8"))


def inputs_sha256(inputs: dict[str, str]) -> str:
    return sha256(json.dumps({"monthlypost": __version__, "inputs": inputs}, sort_keys=True).encode("utf-8"))


def _input_now(workspace: Workspace, files: MonthFiles, month: str, key: str) -> str | None:
    if key == CONFIG_NAME:
        return workspace.settings_sha256
    if key == FOUND:
        return _found(files)
    if key == NEAR:
        return _near(workspace, month)
    kind, _, name = key.partition("/")
    if kind == "month":
        return files.digest(name)
    if kind == "templates":
        template = workspace.sources.find(name)
        return template.sha256 if template else None
    return None


def is_current(workspace: Workspace, files: MonthFiles, built: dict[str, Any]) -> bool:
    """Whether the inputs a manifest records are, byte for byte, the files there now."""
    recorded = built.get("inputs")
    if not isinstance(recorded, dict) or built.get("inputs_sha256") != inputs_sha256(recorded):
        return False
    try:
        month = str(built.get("month"))
        return all(_input_now(workspace, files, month, key) == digest for key, digest in recorded.items())
    except MonthlypostError:  # an input that cannot be read now: the build will say why
        return False


def manifest(
    workspace: Workspace,
    campaign: Campaign,
    files: dict[str, bytes],
    problems: Problems,
    inputs: dict[str, str],
    known: dict[str, str],
) -> dict[str, Any]:
    """What was built; ``known``: digests of some of ``files`` already taken (images kept from before)."""

    def shown(problem: Problem) -> str:
        path = problem.path
        if path is not None and path.is_relative_to(workspace.root):
            path = path.relative_to(workspace.root)
        return f"{path}: {problem.message}" if path else problem.message

    from monthlypost.video import watch_url

    vid = campaign.video_id
    return {
        "month": campaign.month,
        "title": campaign.title,
        "subject": campaign.subject,
        "preheader": campaign.preheader,
        "video_id": vid,
        "video_url": watch_url(vid),
        "files": {name: known.get(name) or sha256(data) for name, data in sorted(files.items())},
        "warnings": [shown(p) for p in problems.warnings],
        "inputs_sha256": inputs_sha256(inputs),
        "inputs": inputs,
        "version": __version__,
    }


# --- Building months -----------------------------------------------------------


@dataclass
class Outcome:
    """What became of one month in a build, with its outputs when they were kept."""

    month: str
    status: str  # "built" | "up to date" | "failed"
    target: Path
    problems: list[Problem]
    files: dict[str, bytes] = field(default_factory=dict)  # the outputs, as written or as checked
    manifest: dict[str, Any] = field(default_factory=dict)


def state(workspace: Workspace, month: str, out: Path | None = None) -> tuple[str, Folder]:
    """'not built', 'built' (current and intact) or 'stale', and what the output folder holds."""
    try:
        files = workspace.month_files(month)
    except MonthlypostError:  # the build will say why
        files = None
    return _state(workspace, workspace.dist(out) / month, files)


def _state(
    workspace: Workspace, target: Path, files: MonthFiles | None, leftovers: list[str] | None = None
) -> tuple[str, Folder]:
    recover(target, leftovers)
    folder = inspect(target)
    if not folder.exists:
        return "not built", folder
    current = files is not None and folder.intact and is_current(workspace, files, folder.manifest or {})
    return ("built" if current else "stale"), folder


WINDOWS_PATH_MOST = 260  # MAX_PATH: what Windows takes, unless its long paths are turned on
PARALLEL_FROM = 8  # months to render before a process per core pays for itself: 10% quicker at 8, even at 4


def build(
    workspace: Workspace,
    months: list[str],
    out: Path | None = None,
    force: bool = False,
    keep_files: bool = True,
    parallel: bool | None = None,
) -> Iterator[Outcome]:
    """Check and build each month, yielding their outcomes in the months' order.

    A month with errors is not written, the others are. Months that are up to
    date are told from their manifests without rendering anything; when many
    need rendering they are rendered by a process per core (on systems that
    can fork), with the same bytes as one process would write. ``keep_files``
    False leaves the outputs' bytes out of the outcomes (the build command
    does not need them). ``parallel`` None decides by the number of months.
    """
    root = workspace.dist(out)
    leftovers = temporary_folders(root)  # one listing for every month, not one per month
    checked: dict[str, Outcome | MonthFiles] = {}
    for month in months:
        target = root / month
        try:
            files = workspace.month_files(month)
            if force:  # rebuilt whatever its state
                recover(target, leftovers.get(month, []))
                checked[month] = files
                continue
            now, folder = _state(workspace, target, files, leftovers.get(month, []))
        except MonthlypostError as err:
            checked[month] = Outcome(month, "failed", target, err.problems)
            continue
        if now == "built" and folder.manifest is not None:
            warnings = [Problem(None, str(w), "warning") for w in folder.manifest.get("warnings") or []]
            kept = folder.files if keep_files else {}
            checked[month] = Outcome(month, "up to date", target, warnings, kept, folder.manifest)
        else:
            checked[month] = files
    stale = [(month, root / month) for month, found in checked.items() if isinstance(found, MonthFiles)]
    if stale:
        workspace.settings  # noqa: B018 - mistakes in monthlypost.toml stop every month: raised once, here
    rendered = _render_all(workspace, stale, checked, force, keep_files, parallel)
    try:
        for found in checked.values():
            yield found if isinstance(found, Outcome) else next(rendered)
    finally:
        rendered.close()  # the worker processes, if any, end now


def _render_all(
    workspace: Workspace,
    stale: list[tuple[str, Path]],
    files: dict[str, Outcome | MonthFiles],
    force: bool,
    keep_files: bool,
    parallel: bool | None,
) -> Iterator[Outcome]:
    """Render and write the stale months, in order; in a process per core when there are many.

    In parallel, what rendering loads on first use is loaded here once (see
    _load_renderers), and N-1 workers are forked, which inherit it. Of N
    processes, the k-th renders every N-th month from the k-th on, this one
    from the first: a month's render costs much the same as any other's, so the
    shares end together, without messages handing months out. The outcomes are
    yielded in the months' order, each worker's as it sends them.
    """
    jobs = min(_jobs(), len(stale))
    if parallel is None:
        parallel = len(stale) >= PARALLEL_FROM
    if not (parallel and jobs >= 2 and can_fork()):  # the workers are forked (Linux, macOS)
        for job in stale:
            yield _render_job(workspace, files, force, keep_files, job)
        return
    import gc

    _load_renderers(workspace)
    global _forked  # what the forked workers start from
    _forked = (workspace, files, force, keep_files)
    # What is loaded now is shared with the workers until one writes to it; a garbage collection in a
    # worker writes to every object it looks at, so those objects are set aside from collection meanwhile.
    gc.freeze()
    try:
        with _Workers([stale[k::jobs] for k in range(1, jobs)]) as workers:
            for number, job in enumerate(stale):
                k = number % jobs
                yield _render_job(workspace, files, force, keep_files, job) if k == 0 else workers.next(k - 1)
    finally:
        gc.unfreeze()


def _load_renderers(workspace: Workspace) -> None:
    """What rendering a month loads on first use, loaded here once for every process (the workers inherit it):
    the renderers and the libraries they use, the Markdown parser, the compiled templates, the months'
    slugs."""
    import mjml  # noqa: F401 - loaded

    from monthlypost import archive, campaign, moments  # noqa: F401 - loaded
    from monthlypost.markup import parser
    from monthlypost.render import blog, description  # noqa: F401 - loaded
    from monthlypost.render.email import _css_inline

    _css_inline()
    parser()
    for name in OUTPUT_TEMPLATES:
        with contextlib.suppress(Exception):  # a template's mistake is each month's to report, where it is used
            workspace.jinja.get_template(name)
    _slugs(workspace)


OUTPUT_TEMPLATES = ("post.html", "post.md", "youtube.txt", "newsletter.mjml", "newsletter.txt")


class _Workers:
    """Forked processes, each rendering its share of the months and sending back their outcomes in order.

    Forked with os.fork and a pipe each, not multiprocessing's, whose modules take a serial build of many
    months longer to import than its workers take to start."""

    def __init__(self, shares: list[list[tuple[str, Path]]]):
        self.shares = shares
        self.pids: list[int] = []
        self.pipes: list[BinaryIO] = []

    def __enter__(self) -> _Workers:
        import signal  # (here, not at the top: a build of a few months never forks, nor pays for it)

        # A Ctrl-C while the workers start waits (blocked, not lost) until each worker ignores it, and then
        # reaches this process alone: a worker it reached first would print a traceback of its own.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for share in self.shares:
                receiving, sending = os.pipe()
                pid = os.fork()
                if pid == 0:  # the worker: it never returns from here
                    os._exit(_render_share(share, receiving, sending))
                os.close(sending)  # the worker's end: this one's copy closed, so a worker that died reads as EOF
                self.pids.append(pid)
                _running.add(pid)
                self.pipes.append(os.fdopen(receiving, "rb"))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return self

    def next(self, worker: int) -> Outcome:
        """The next outcome of that worker's share; its exception raised here, if it raised one."""
        import pickle

        try:
            sent, value = pickle.load(self.pipes[worker])
        except (EOFError, pickle.UnpicklingError):  # it ended (killed, say), maybe in the middle of a message
            raise RuntimeError("a build worker ended before sending all its months") from None
        if sent == "raised":
            raise value
        return value

    def __exit__(self, *exc: object) -> None:
        """Every worker ended: at once if the build was left early (an error, Ctrl-C, a reader that stopped)."""
        import signal

        for pipe in self.pipes:
            pipe.close()  # a worker still sending stops on a broken pipe
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in self.pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            _running.discard(pid)


_running: set[int] = set()  # the workers' process ids, while they run (for tests)


def _render_share(share: list[tuple[str, Path]], receiving: int, sending: int) -> int:
    """In a worker: each month of its share rendered and written, its outcome sent as soon as it is; the
    worker's exit status."""
    import pickle

    try:
        _leave_ctrl_c_to_the_parent()
        os.close(receiving)
        assert _forked is not None
        with os.fdopen(sending, "wb") as out:
            for job in share:
                try:
                    sent = ("outcome", _render_job(*_forked, job))
                except Exception as err:  # noqa: BLE001 - a fault of ours: raised in the main process, as here
                    sent = ("raised", err)
                try:
                    message = pickle.dumps(sent)
                except Exception:  # noqa: BLE001 - an exception that cannot be pickled: its text, then
                    message = pickle.dumps(("raised", RuntimeError(f"in a build worker: {sent[1]!r}")))
                out.write(message)
                out.flush()
                if sent[0] == "raised":
                    return 1
        return 0
    except BrokenPipeError:  # the build was left early: nobody is reading
        return 1
    except BaseException:  # noqa: BLE001 - whatever it is, the worker ends here, never in its parent's code
        return 1


_forked: tuple[Workspace, dict[str, Outcome | MonthFiles], bool, bool] | None = None
JOBS_VARIABLE = "MONTHLYPOST_JOBS"  # processes that render at once (1: this one alone); default, one per core


def _jobs() -> int:
    given = os.environ.get(JOBS_VARIABLE, "")
    return int(given) if given.isdigit() and int(given) > 0 else os.cpu_count() or 1


def _leave_ctrl_c_to_the_parent() -> None:
    """In a worker: Ctrl-C reaches the whole process group, and the parent, which stops the workers, says
    'Aborted!'; a worker interrupted too would print a traceback of its own."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked while it started (see _Workers)


def _render_job(
    workspace: Workspace,
    files: dict[str, Outcome | MonthFiles],
    force: bool,
    keep_files: bool,
    job: tuple[str, Path],
) -> Outcome:
    month, target = job
    found = files[month]
    assert isinstance(found, MonthFiles)
    return _render_and_write(workspace, month, target, found, force, keep_files)


def _render_and_write(
    workspace: Workspace, month: str, target: Path, files: MonthFiles, force: bool, keep_files: bool
) -> Outcome:
    rendered = render_month(workspace, month, files, functools.partial(kept_images, target))
    if not rendered.ok:
        return Outcome(month, "failed", target, rendered.problems)
    longest = max(rendered.files, key=len)  # (names are relative and normalised: a path is folder/name)
    if len(str(target)) + 1 + len(longest) >= WINDOWS_PATH_MOST:
        rendered.problems.warn(
            target / longest,
            f"a path of {len(str(target / longest))} characters: Windows refuses paths of {WINDOWS_PATH_MOST} or "
            "more unless long paths are turned on; a shorter name for the workspace's folder, or for the image, "
            "keeps it buildable there",
        )
    try:
        replace(target, rendered.files, force, recovered=True)
    except MonthlypostError as err:
        return Outcome(month, "failed", target, [*rendered.problems.warnings, *err.problems])
    kept = rendered.files if keep_files else {}
    return Outcome(month, "built", target, rendered.problems, kept, rendered.manifest)
