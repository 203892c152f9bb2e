"""The platform's tables in its own schema ``dramaturg``: job_history, the scheduler's watermarks, alert rate limits and idempotency markers.

Nothing of the platform lives in ``public``, where an app keeps its own
tables; alembic's version table is ``dramaturg.alembic_version`` too
(``migrations/env.py``).

Databases migrated before the platform had its own schema (the old single
chain 0001…0008, with every platform and domain table in ``public`` and the
version table ``public.alembic_version``) hold only test and demo data, and
are not upgraded in place: ``dramaturg migrate`` refuses them with a message
saying so, and ``dramaturg up`` on the embedded default (also ``up --demo``)
resets the embedded database and migrates it afresh.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "dramaturg"
STATUSES = ("queued", "running", "succeeded", "failed", "retrying", "skipped")
TRIGGERS = ("cron", "manual", "fanout", "api")


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.create_table(
        "job_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("job_name", sa.Text, nullable=False),
        sa.Column("actor_name", sa.Text, nullable=False),
        sa.Column("message_id", pg.UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("parent_id", sa.BigInteger, sa.ForeignKey(f"{SCHEMA}.job_history.id", ondelete="SET NULL")),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("period", sa.Text),
        sa.Column("args", pg.JSONB),
        sa.Column("enqueued_at", sa.DateTime(timezone=True)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("items_processed", sa.Integer),
        sa.Column("result", pg.JSONB),
        sa.Column("error", sa.Text),
        sa.Column("traceback", sa.Text),
        sa.CheckConstraint(f"status in {STATUSES}", name="job_history_status_check"),
        sa.CheckConstraint(f"trigger in {TRIGGERS}", name="job_history_trigger_check"),
        schema=SCHEMA,
    )
    op.create_index(
        "job_history_job_started_idx", "job_history", ["job_name", sa.text("started_at DESC")], schema=SCHEMA
    )
    op.create_index("job_history_parent_idx", "job_history", ["parent_id"], schema=SCHEMA)
    op.create_index("job_history_finished_idx", "job_history", ["finished_at"], schema=SCHEMA)
    op.create_index("job_history_status_finished_idx", "job_history", ["status", "finished_at"], schema=SCHEMA)
    op.create_table(
        "scheduler_state",
        sa.Column("job_name", sa.Text, primary_key=True),
        sa.Column("last_tick_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "alert_state",
        sa.Column("job_name", sa.Text, primary_key=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True)),
        sa.Column("suppressed", sa.Integer, nullable=False, server_default=sa.text("0")),
        schema=SCHEMA,
    )
    op.create_table(
        "idempotency_markers",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("job_name", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    # The schema itself stays: it holds alembic's version table.
    op.drop_table("idempotency_markers", schema=SCHEMA)
    op.drop_table("alert_state", schema=SCHEMA)
    op.drop_table("scheduler_state", schema=SCHEMA)
    op.drop_table("job_history", schema=SCHEMA)
