"""YouTube: log in, read videos, put months' descriptions on them, put old ones back.

``auth`` logs in and keeps the login; ``quota`` counts the day's units;
``api`` is the client, with Google's errors translated into ours; ``push``
is the push and restore flow. Google's libraries are imported inside the
functions that use them, so nothing but the ``youtube`` commands pays for
them.
"""

from monthlypost.publish.youtube.api import YouTube
from monthlypost.publish.youtube.auth import free_port, login
from monthlypost.publish.youtube.push import push, restore
from monthlypost.publish.youtube.quota import QUOTA_RESET, Ledger

__all__ = ["QUOTA_RESET", "Ledger", "YouTube", "free_port", "login", "push", "restore"]
