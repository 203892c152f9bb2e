"""The platform's tables as SQLAlchemy metadata.

The migrations create them; this metadata lets tests assert that the
migrated schema equals the models (an empty autogenerate diff) and gives
domain code typed tables for CRUD. Domain packages add their tables to the
same ``metadata``, each in its own Postgres schema.

The platform owns two schemas and nothing else: dramatiq-pg's ``dramatiq``
(the queue) and ``dramaturg`` (job_history, the scheduler's watermarks, alert
state, alembic's version table). SQL names every table with its schema
(``dramaturg.job_history``), never through ``search_path``, so an app's own
tables in ``public`` (its ``users``, its ``alembic_version``) never meet ours.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

#: The platform's own schema (the queue stays in dramatiq-pg's ``dramatiq``).
SCHEMA = "dramaturg"

queue_state = pg.ENUM("queued", "consumed", "rejected", "done", name="state", schema="dramatiq", create_type=False)

#: dramatiq-pg's table, plus the columns our claims need (eta, lease, priority, reason).
queue = sa.Table(
    "queue",
    metadata,
    sa.Column("message_id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("queue_name", sa.Text, nullable=False, server_default=sa.text("'default'::text")),
    sa.Column("state", queue_state),
    sa.Column("mtime", sa.DateTime(timezone=True), server_default=sa.text("now()")),
    sa.Column("message", pg.JSONB),
    sa.Column("result", pg.JSONB),
    sa.Column("result_ttl", sa.DateTime(timezone=True)),
    sa.Column("eta", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
    sa.Column("priority", sa.SmallInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
    sa.Column("lease_owner", pg.UUID(as_uuid=True)),
    sa.Column("lease_expires_at", sa.DateTime(timezone=True)),
    sa.Column("claims", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("reason", sa.Text),
    sa.Index("queue_state_mtime_idx", "state", "mtime"),
    sa.Index(
        "queue_claim_idx", "queue_name", "priority", "eta", postgresql_where=sa.text("state = 'queued'::dramatiq.state")
    ),
    sa.Index("queue_lease_idx", "lease_expires_at", postgresql_where=sa.text("state = 'consumed'::dramatiq.state")),
    schema="dramatiq",
)

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "retrying", "skipped")
TRIGGERS = ("cron", "manual", "fanout", "api")

job_history = sa.Table(
    "job_history",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("job_name", sa.Text, nullable=False),
    sa.Column("actor_name", sa.Text, nullable=False),
    sa.Column("message_id", pg.UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("parent_id", sa.BigInteger, sa.ForeignKey("dramaturg.job_history.id", ondelete="SET NULL")),
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
    sa.CheckConstraint(f"status in {RUN_STATUSES}", name="job_history_status_check"),
    sa.CheckConstraint(f"trigger in {TRIGGERS}", name="job_history_trigger_check"),
    sa.Index("job_history_job_started_idx", "job_name", sa.text("started_at DESC")),
    sa.Index("job_history_parent_idx", "parent_id"),
    sa.Index("job_history_finished_idx", "finished_at"),
    sa.Index("job_history_status_finished_idx", "status", "finished_at"),
    schema=SCHEMA,
)

#: The scheduler's persisted watermark: the last tick enqueued per job.
scheduler_state = sa.Table(
    "scheduler_state",
    metadata,
    sa.Column("job_name", sa.Text, primary_key=True),
    sa.Column("last_tick_at", sa.DateTime(timezone=True), nullable=False),
    schema=SCHEMA,
)

#: Failure alerts sent per job, so every process honours one alert per interval.
alert_state = sa.Table(
    "alert_state",
    metadata,
    sa.Column("job_name", sa.Text, primary_key=True),
    sa.Column("last_sent_at", sa.DateTime(timezone=True)),
    sa.Column("suppressed", sa.Integer, nullable=False, server_default=sa.text("0")),
    schema=SCHEMA,
)
