"""The task app's jobs: recurring task instances, reminder delivery, overdue scan.

Their tables (``tables``) are imported by the migrations, not here: declaring the jobs needs no SQLAlchemy.
"""

from actors.tasks import overdue, recurring, reminders  # noqa: F401
