"""The task app's jobs: recurring task instances, reminder delivery, overdue scan."""

from dramaturg.actors.tasks import overdue, recurring, reminders, tables  # noqa: F401
