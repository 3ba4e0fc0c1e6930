"""monthlypost: one month's video, told three ways."""

__version__ = "0.4.0"
