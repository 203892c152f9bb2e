"""The task app's tables in schema ``tasks`` (tasks, reminders, web notifications).

The first revision of the tasks app's own alembic branch (branch label
``tasks``): ``dramaturg migrate`` applies it when ``DRAMATURG_APPS`` names
``tasks``, and ``alembic downgrade tasks@base`` removes the app alone, schema
included.

Revision ID: tasks_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "tasks_0001"
down_revision = None
branch_labels = ("tasks",)
depends_on = None

SCHEMA = "tasks"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.create_table(
        "tasks",
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
        sa.Column("parent_task_id", sa.BigInteger),
        sa.ForeignKeyConstraint(
            ["parent_task_id"], [f"{SCHEMA}.tasks.id"], name="tasks_parent_task_id_fkey", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("parent_task_id", name="tasks_parent_task_id_key"),
        sa.CheckConstraint(
            "recurrence_type in ('daily', 'weekly', 'monthly', 'yearly', 'custom')", name="tasks_recurrence_type_check"
        ),
        sa.CheckConstraint("recurrence_interval >= 1", name="tasks_recurrence_interval_check"),
        sa.CheckConstraint("anchor_day between 1 and 31", name="tasks_anchor_day_check"),
        sa.CheckConstraint("status in ('open', 'overdue', 'done')", name="tasks_status_check"),
        schema=SCHEMA,
    )
    op.create_index(
        "tasks_recurrence_pending_idx",
        "tasks",
        ["id"],
        postgresql_where=sa.text("is_recurring AND completed AND last_processed_at IS NULL"),
        schema=SCHEMA,
    )
    op.create_index(
        "tasks_open_due_idx", "tasks", ["due_date"], postgresql_where=sa.text("NOT completed"), schema=SCHEMA
    )

    op.create_table(
        "task_reminders",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("task_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("remind_at", TZ, nullable=False),
        sa.Column("offset_minutes", sa.Integer),
        sa.Column("channel", sa.Text, nullable=False, server_default=sa.text("'web'::text")),
        sa.Column("sent", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("sent_at", TZ),
        sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'pending'::text")),
        sa.Column("error", sa.Text),
        sa.ForeignKeyConstraint(
            ["task_id"], [f"{SCHEMA}.tasks.id"], name="task_reminders_task_id_fkey", ondelete="CASCADE"
        ),
        sa.CheckConstraint("channel in ('web', 'chat', 'both')", name="task_reminders_channel_check"),
        sa.CheckConstraint("status in ('pending', 'sent', 'failed')", name="task_reminders_status_check"),
        schema=SCHEMA,
    )
    op.create_index(
        "task_reminders_pending_idx",
        "task_reminders",
        ["remind_at"],
        postgresql_where=sa.text("status = 'pending'::text"),
        schema=SCHEMA,
    )
    op.create_index("task_reminders_task_idx", "task_reminders", ["task_id"], schema=SCHEMA)

    op.create_table(
        "task_reminder_deliveries",
        sa.Column("reminder_id", sa.BigInteger, primary_key=True),
        sa.Column("channel", sa.Text, primary_key=True),
        sa.Column("delivered_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["reminder_id"],
            [f"{SCHEMA}.task_reminders.id"],
            name="task_reminder_deliveries_reminder_id_fkey",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("channel in ('web', 'chat')", name="task_reminder_deliveries_channel_check"),
        schema=SCHEMA,
    )

    op.create_table(
        "web_notifications",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("task_id", sa.BigInteger),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("read", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.ForeignKeyConstraint(
            ["task_id"], [f"{SCHEMA}.tasks.id"], name="web_notifications_task_id_fkey", ondelete="CASCADE"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "web_notifications_overdue_key",
        "web_notifications",
        ["task_id", "kind"],
        unique=True,
        postgresql_where=sa.text("kind = 'overdue'::text"),
        schema=SCHEMA,
    )
    op.create_index("web_notifications_user_idx", "web_notifications", ["user_id"], schema=SCHEMA)
    op.create_index("web_notifications_created_idx", "web_notifications", ["created_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("web_notifications", schema=SCHEMA)
    op.drop_table("task_reminder_deliveries", schema=SCHEMA)
    op.drop_table("task_reminders", schema=SCHEMA)
    op.drop_table("tasks", schema=SCHEMA)
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")  # RESTRICT: refuses if anything else was put there
