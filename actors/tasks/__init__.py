"""The task app's jobs: recurring task instances, reminder delivery, overdue scan."""

from actors.tasks import overdue, recurring, reminders, tables  # noqa: F401
