"""A workspace's layout: the names of its files and folders (SPEC §1), and where the default templates are.

A leaf: it imports nothing of monthlypost's, so that the settings, the workspace and the renderers can all
name these without importing one another.
"""

from pathlib import Path

CONFIG_NAME = "monthlypost.toml"
DEFAULT_TEMPLATES = Path(__file__).parent / "templates"  # shipped in the package
CAMPAIGNS = "campaigns"
DIST = "dist"
STATE = ".monthlypost"
LOCK_NAME = "lock"  # in STATE: held by the command writing the workspace's outputs or state
