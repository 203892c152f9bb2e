"""The challenge app's jobs: auto-complete, stats refresh, streak reminders, notification cleanup.

Their tables (``tables``) are imported by the migrations, not here: declaring the jobs needs no SQLAlchemy.
"""

from actors.challenges import auto_complete, notification_cleanup, refresh_stats, streak_reminders  # noqa: F401
