"""A tiny example job wired end to end (cron actor → children → history).

Their tables (``tables``) are imported by the migrations, not here: declaring the jobs needs no SQLAlchemy.
"""

from actors.example import touch  # noqa: F401
