"""The challenge app's jobs: auto-complete, stats refresh, streak reminders, notification cleanup."""

from actors.challenges import auto_complete, notification_cleanup, refresh_stats, streak_reminders, tables  # noqa: F401
