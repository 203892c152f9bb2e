"""The task app's tables in schema ``tasks`` (created by its branch, actors/tasks/migrations/).

- ``tasks``: one row per task instance; a recurring series links each instance
  to the one it was generated from through ``parent_task_id``, which is unique:
  a parent can have at most one child, whatever runs concurrently.
- ``task_reminders``: when to remind whom, on which channel(s), and the outcome.
- ``task_reminder_deliveries``: one row per (reminder, channel) actually sent,
  the per-channel idempotency marker of the reminders job.
- ``web_notifications``: the in-app notification feed of the task app.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from shared.tables import metadata

SCHEMA = "tasks"

TZ = sa.DateTime(timezone=True)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("owner_id", sa.BigInteger, nullable=False),
    sa.Column("owner_timezone", sa.Text, nullable=False, server_default=sa.text("'UTC'::text")),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("priority", sa.Text, nullable=False, server_default=sa.text("'medium'::text")),
    sa.Column("tags", pg.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
    sa.Column("due_date", TZ),
    sa.Column("completed", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("completed_at", TZ),
    sa.Column("is_recurring", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("recurrence_type", sa.Text),
    sa.Column("recurrence_interval", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("anchor_day", sa.SmallInteger),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'open'::text")),
    sa.Column("last_processed_at", TZ),
    sa.Column("series_id", sa.BigInteger),
    sa.Column(
        "parent_task_id",
        sa.BigInteger,
        sa.ForeignKey("tasks.tasks.id", name="tasks_parent_task_id_fkey", ondelete="SET NULL"),
    ),
    sa.UniqueConstraint("parent_task_id", name="tasks_parent_task_id_key"),
    sa.CheckConstraint(
        "recurrence_type in ('daily', 'weekly', 'monthly', 'yearly', 'custom')", name="tasks_recurrence_type_check"
    ),
    sa.CheckConstraint("recurrence_interval >= 1", name="tasks_recurrence_interval_check"),
    sa.CheckConstraint("anchor_day between 1 and 31", name="tasks_anchor_day_check"),
    sa.CheckConstraint("status in ('open', 'overdue', 'done')", name="tasks_status_check"),
    # recurring-tasks looks only at completed, unprocessed recurring tasks.
    sa.Index(
        "tasks_recurrence_pending_idx",
        "id",
        postgresql_where=sa.text("is_recurring AND completed AND last_processed_at IS NULL"),
    ),
    # overdue-scan looks only at uncompleted tasks by due date.
    sa.Index("tasks_open_due_idx", "due_date", postgresql_where=sa.text("NOT completed")),
    schema=SCHEMA,
)

task_reminders = sa.Table(
    "task_reminders",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "task_id",
        sa.BigInteger,
        sa.ForeignKey("tasks.tasks.id", name="task_reminders_task_id_fkey", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("remind_at", TZ, nullable=False),
    # Minutes before the due date; carried over to the next instance of a recurring task.
    sa.Column("offset_minutes", sa.Integer),
    sa.Column("channel", sa.Text, nullable=False, server_default=sa.text("'web'::text")),
    sa.Column("sent", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("sent_at", TZ),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'pending'::text")),
    sa.Column("error", sa.Text),
    sa.CheckConstraint("channel in ('web', 'chat', 'both')", name="task_reminders_channel_check"),
    sa.CheckConstraint("status in ('pending', 'sent', 'failed')", name="task_reminders_status_check"),
    sa.Index("task_reminders_pending_idx", "remind_at", postgresql_where=sa.text("status = 'pending'::text")),
    sa.Index("task_reminders_task_idx", "task_id"),
    schema=SCHEMA,
)

task_reminder_deliveries = sa.Table(
    "task_reminder_deliveries",
    metadata,
    sa.Column(
        "reminder_id",
        sa.BigInteger,
        sa.ForeignKey("tasks.task_reminders.id", name="task_reminder_deliveries_reminder_id_fkey", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("channel", sa.Text, primary_key=True),
    sa.Column("delivered_at", TZ, nullable=False),
    sa.CheckConstraint("channel in ('web', 'chat')", name="task_reminder_deliveries_channel_check"),
    schema=SCHEMA,
)

web_notifications = sa.Table(
    "web_notifications",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column(
        "task_id",
        sa.BigInteger,
        sa.ForeignKey("tasks.tasks.id", name="web_notifications_task_id_fkey", ondelete="CASCADE"),
    ),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("read", sa.Boolean, nullable=False, server_default=sa.text("false")),
    # At most one overdue notice per task; reminders may notify about a task many times.
    sa.Index(
        "web_notifications_overdue_key",
        "task_id",
        "kind",
        unique=True,
        postgresql_where=sa.text("kind = 'overdue'::text"),
    ),
    sa.Index("web_notifications_user_idx", "user_id"),
    sa.Index("web_notifications_created_idx", "created_at"),
    schema=SCHEMA,
)
