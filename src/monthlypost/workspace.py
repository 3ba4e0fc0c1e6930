"""Finding the workspace and its month folders."""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from monthlypost.errors import MonthlypostError, Problem, Problems
from monthlypost.layout import CAMPAIGNS, CONFIG_NAME, DEFAULT_TEMPLATES, LOCK_NAME, STATE
from monthlypost.paths import (
    PathError,
    fail,
    is_folder,
    kind,
    one_at_a_time,
    output_root,
    read_bytes,
    resolve,
    state_folder,
)
from monthlypost.sources import MonthFiles, Templates, sha256

if TYPE_CHECKING:
    import jinja2

    from monthlypost.config import Settings

T = TypeVar("T")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_MONTH_LIKE = re.compile(r"([0-9]{4})-([0-9]{2})(.*)", re.DOTALL)
MONTH_FOLDER = "a month's folder is named YYYY-MM or YYYY-MM-any-slug"


def parse_month(text: str) -> str:
    """'2024-04' → '2024-04'; ValueError for anything that is not a real month."""
    match = _MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise ValueError(f"'{text}' is not a month like 2024-04")
    return match.group(0)


def month_of_folder(name: str) -> tuple[str | None, str | None]:
    """('2024-06', None) for a month's folder (2024-06, 2024-06-knees, 2024-06-café); (None, why not) for a
    name that starts like one but is not (2024-13, 2024-06 copy, 2024-06-); (None, None) for anything else."""
    found = _MONTH_LIKE.fullmatch(name)
    if not found:
        return None, None
    year, number, rest = found.groups()
    if rest and not rest.startswith("-"):
        return None, f"starts like a month but is not one: {MONTH_FOLDER}"
    if rest == "-":
        return None, f"has nothing after its last '-': {MONTH_FOLDER}"
    if not 1 <= int(number) <= 12:
        return None, f"is not a month: {number} is no month of the year ({MONTH_FOLDER})"
    if int(year) < 1:
        return None, f"is not a month: there is no year {year} ({MONTH_FOLDER})"
    return f"{year}-{number}", None


def current_month(today: datetime.date | None = None) -> str:
    return (today or datetime.date.today()).strftime("%Y-%m")


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding monthlypost.toml."""
    start = resolve(start)
    for folder in (start, *start.parents):
        if kind(folder / CONFIG_NAME) != "missing":
            return folder
    raise MonthlypostError.at(None, f"no {CONFIG_NAME} in {start} or any parent; run 'monthlypost init' to create one")


@dataclass
class Workspace:
    """The folder that holds monthlypost.toml: its settings, templates and months, each read once."""

    root: Path
    read_only: bool = False  # nothing written, not even the template cache (check)

    @classmethod
    def locate(cls, explicit: Path | None) -> Workspace:
        """--workspace / MONTHLYPOST_WORKSPACE when given (it must hold the file), else search upward."""
        if explicit is None:
            return cls(find_root(Path.cwd()))
        if kind(explicit / CONFIG_NAME) == "missing":
            raise MonthlypostError.at(
                None, f"no {CONFIG_NAME} in {explicit}; run 'monthlypost init {explicit}' to create one"
            )
        return cls(resolve(explicit))

    # --- Settings, templates: read once per run ---------------------------------------------

    @cached_property
    def _settings_source(self) -> bytes:
        return read_bytes(self.root / CONFIG_NAME)

    @cached_property
    def _loaded(self) -> tuple[Settings, list[Problem]]:
        from monthlypost.config import read_settings  # not needed to tell that a month is up to date

        problems = Problems()
        settings = read_settings(self.root, self._settings_source, problems)
        if not self.read_only:
            from monthlypost.phones import remember

            remember()  # what phonenumbers said, for the next run
        problems.raise_errors()
        assert settings is not None
        return settings, problems.warnings

    @property
    def settings(self) -> Settings:
        """monthlypost.toml, checked; every error in it is raised at once."""
        return self._loaded[0]

    @property
    def settings_warnings(self) -> list[Problem]:
        return self._loaded[1]

    @cached_property
    def settings_sha256(self) -> str:
        """Of the very bytes the settings were read from."""
        return sha256(self._settings_source)

    @cached_property
    def sources(self) -> Templates:
        """The workspace's templates and the defaults; the defaults alone (trusted, see render.environment)
        when the workspace has no templates/ as the run starts."""
        own = self.templates if kind(self.templates) != "missing" else None
        return Templates(own, DEFAULT_TEMPLATES)

    @cached_property
    def jinja(self) -> jinja2.Environment:
        """One Jinja environment for the run, so each template is compiled once."""
        from monthlypost.render import environment
        from monthlypost.render.cache import TemplateCache

        try:
            cache = TemplateCache.under(self.root / STATE if self.read_only else self.state, self.read_only)
        except MonthlypostError:  # no usable .monthlypost/: compile every time
            cache = None
        return environment(self.sources, cache)

    # --- Folders --------------------------------------------------------------------------------

    @property
    def campaigns(self) -> Path:
        return self.root / CAMPAIGNS

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @cached_property
    def state(self) -> Path:
        """.monthlypost/, where monthlypost keeps its state: a real folder in the workspace, never a link."""
        return state_folder(self.root / STATE)

    def one_at_a_time(self, waiting: Callable[[int | None], None]) -> AbstractContextManager[None]:
        """While held, no other monthlypost command writes this workspace's outputs or state: one that
        would waits (``waiting`` says so first, with the process id of the one it waits for, if known)."""
        try:
            state = self.state
        except PathError:  # a linked .monthlypost/: no lock, as no template cache (what needs the state says so)
            return nullcontext()
        return one_at_a_time(state / LOCK_NAME, waiting)

    def dist(self, out: Path | None = None) -> Path:
        """Where months are built: dist/, or --out; never over the workspace's own files (SPEC §10)."""
        protected = {"campaigns/": self.campaigns, "templates/": self.templates, f"{STATE}/": self.root / STATE}
        return output_root(self.root, out, protected)

    def months(self) -> dict[str, Path]:
        """Every month folder, oldest first; two folders for one month is an error."""
        return dict(self._months)

    @property
    def misnamed(self) -> list[Problem]:
        """The folders in campaigns/ that start like a month's but cannot be one (2024-13, 2024-06 copy)."""
        self._months  # noqa: B018 - found while listing the months
        return list(self._misnamed)

    @cached_property
    def _months(self) -> dict[str, Path]:  # read once per command, not once per month
        found: dict[str, list[Path]] = {}
        self._misnamed: list[Problem] = []
        what = kind(self.campaigns)
        if what == "link":
            what = "folder" if is_folder(self.campaigns) else "other"
        if what not in ("missing", "folder"):
            raise PathError.at(self.campaigns, "is not a folder; it must be the folder that holds the months")
        if what == "folder":
            try:
                with os.scandir(self.campaigns) as entries:
                    names = sorted((e.name, e.is_file(follow_symlinks=False)) for e in entries)
            except OSError as err:
                raise fail(self.campaigns, "cannot be read", err) from None
            for name, is_file in names:
                month, wrong = month_of_folder(name)
                if is_file and name != month:  # 2024-06-notes.txt beside the months: a file, not a month
                    continue
                if month is not None:
                    found.setdefault(month, []).append(self.campaigns / name)
                elif wrong is not None:
                    self._misnamed.append(Problem(self.campaigns / name, wrong))
        for month, folders in found.items():
            if len(folders) > 1:
                names = " and ".join(f.name for f in folders)
                raise MonthlypostError.at(self.campaigns, f"two folders for {month} ({names}); keep one")
        return {month: folders[0] for month, folders in sorted(found.items())}

    def folder(self, month: str) -> Path:
        months = self.months()
        if month not in months:
            known = ", ".join(months) or "none yet"
            near = [p for p in self.misnamed if p.path is not None and p.path.name.startswith(month)]
            raise MonthlypostError(
                [
                    Problem(
                        self.campaigns / month,
                        f"no folder for {month} (months here: {known}); run 'monthlypost new {month}' to start it",
                    ),
                    *near,
                ]
            )
        return months[month]

    def month_files(self, month: str) -> MonthFiles:
        """The month's folder, to read each file once; a name there that is not a folder is an error."""
        folder = self.folder(month)
        what = kind(folder)
        if what == "link":
            what = "folder" if is_folder(folder) else "other"
        if what != "folder":
            raise PathError.at(folder, "is not a folder; a month is a folder holding topic.toml and script.md")
        return MonthFiles(folder)

    def peek(self, month: str) -> tuple[str, str] | None:
        """The month's title and slug, read once per run without checking the rest (for its neighbours' links)."""
        from monthlypost.sources import peek_topic

        return self.remembered(("peek", month), lambda: peek_topic(self.months()[month]))

    def remembered(self, key: Hashable, make: Callable[[], T]) -> T:
        """What ``make`` makes, made once per run for ``key``."""
        if key not in self._remembered:
            self._remembered[key] = make()
        return self._remembered[key]

    @cached_property
    def _remembered(self) -> dict[Hashable, Any]:
        return {}

    def select(self, months: tuple[str, ...], every: bool) -> list[str]:
        """The months a command works on: those named, all of them, or else the newest."""
        if months:
            for month in months:
                self.folder(month)
            return list(dict.fromkeys(months))
        known = list(self.months())
        if not known:
            raise MonthlypostError.at(self.campaigns, "no month folders yet; run 'monthlypost new YYYY-MM'")
        return known if every else known[-1:]
