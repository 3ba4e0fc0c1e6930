"""Finding the workspace and its month folders."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from pathlib import Path

from monthlypost.config import CONFIG_NAME, Settings, read_settings
from monthlypost.errors import MonthlypostError, Problem, Problems

DEFAULT_TEMPLATES = Path(str(files("monthlypost") / "templates"))  # shipped in the package
CAMPAIGNS = "campaigns"
DIST = "dist"
STATE = ".monthlypost"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_FOLDER = re.compile(r"^(\d{4}-\d{2})(?:-[A-Za-z0-9][A-Za-z0-9_-]*)?$")


def parse_month(text: str) -> str:
    """'2024-04' → '2024-04'; ValueError for anything that is not a real month."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise ValueError(f"'{text}' is not a month like 2024-04")
    return match.group(0)


def current_month(today: datetime.date | None = None) -> str:
    return (today or datetime.date.today()).strftime("%Y-%m")


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding monthlypost.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise MonthlypostError.at(None, f"no {CONFIG_NAME} in {start} or any parent; run 'monthlypost init' to create one")


@dataclass
class Workspace:
    root: Path

    @classmethod
    def locate(cls, explicit: Path | None) -> Workspace:
        """--workspace / MONTHLYPOST_WORKSPACE when given (it must hold the file), else search upward."""
        if explicit is None:
            return cls(find_root(Path.cwd()))
        if not (explicit / CONFIG_NAME).is_file():
            raise MonthlypostError.at(
                None, f"no {CONFIG_NAME} in {explicit}; run 'monthlypost init {explicit}' to create one"
            )
        return cls(explicit.resolve())

    @cached_property
    def _loaded(self) -> tuple[Settings, list[Problem]]:
        problems = Problems()
        settings = read_settings(self.root, problems)
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

    @property
    def campaigns(self) -> Path:
        return self.root / CAMPAIGNS

    @property
    def state(self) -> Path:
        return self.root / STATE

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    def dist(self, out: Path | None = None) -> Path:
        return out.resolve() if out is not None else self.root / DIST

    def months(self) -> dict[str, Path]:
        """Every month folder, oldest first; two folders for one month is an error."""
        return dict(self._months)

    @cached_property
    def _months(self) -> dict[str, Path]:  # read once per command, not once per month
        found: dict[str, list[Path]] = {}
        if self.campaigns.is_dir():
            for entry in sorted(self.campaigns.iterdir()):
                match = _FOLDER.match(entry.name)
                if match and entry.is_dir():
                    found.setdefault(match.group(1), []).append(entry)
        for month, folders in found.items():
            if len(folders) > 1:
                names = " and ".join(f.name for f in folders)
                raise MonthlypostError.at(self.campaigns, f"two folders for {month} ({names}); keep one")
        return {month: folders[0] for month, folders in sorted(found.items())}

    def folder(self, month: str) -> Path:
        months = self.months()
        if month not in months:
            known = ", ".join(months) or "none yet"
            raise MonthlypostError.at(
                self.campaigns / month,
                f"no folder for {month} (months here: {known}); run 'monthlypost new {month}' to start it",
            )
        return months[month]

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
