"""A tiny example job wired end to end (cron actor → children → history)."""

from actors.example import tables, touch  # noqa: F401
