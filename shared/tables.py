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

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "retrying", "skipped", "cancelled")
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
    # --- the job API (migration 0009) ---
    sa.Column("org_id", sa.Text),  # the organization whose API key submitted it
    sa.Column("idempotency_key", sa.Text),  # unique per organization
    sa.Column("retry_of", sa.BigInteger, sa.ForeignKey("dramaturg.job_history.id", ondelete="SET NULL")),
    sa.Column("acted_by", sa.Text),  # who submitted, cancelled, retried or triggered it
    sa.Column("attempt_log", pg.JSONB),  # earlier attempts' outcomes: [{attempt, status, error, ...}]
    sa.CheckConstraint(f"status in {RUN_STATUSES}", name="job_history_status_check"),
    sa.CheckConstraint(f"trigger in {TRIGGERS}", name="job_history_trigger_check"),
    sa.Index("job_history_job_started_idx", "job_name", sa.text("started_at DESC")),
    sa.Index("job_history_parent_idx", "parent_id"),
    sa.Index("job_history_finished_idx", "finished_at"),
    sa.Index("job_history_status_finished_idx", "status", "finished_at"),
    sa.Index(
        "job_history_org_idempotency_idx",
        "org_id",
        "idempotency_key",
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    ),
    sa.Index("job_history_org_id_idx", "org_id", sa.text("id DESC"), postgresql_where=sa.text("org_id IS NOT NULL")),
    sa.Index(
        "job_history_org_active_idx",
        "org_id",
        postgresql_where=sa.text("org_id IS NOT NULL AND status IN ('queued', 'running', 'retrying')"),
    ),
    sa.Index("job_history_status_id_idx", "status", sa.text("id DESC")),
    sa.Index("job_history_top_id_idx", sa.text("id DESC"), postgresql_where=sa.text("trigger <> 'fanout'")),
    sa.Index(
        "job_history_top_job_idx", "job_name", sa.text("id DESC"), postgresql_where=sa.text("trigger <> 'fanout'")
    ),
    sa.Index("job_history_retry_of_idx", "retry_of", postgresql_where=sa.text("retry_of IS NOT NULL")),
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

#: At most one row: the database runs on a simulated clock (tests, demos), optionally a shared timeline.
clock_simulation = sa.Table(
    "clock_simulation",
    metadata,
    sa.Column("id", sa.Boolean, primary_key=True, server_default=sa.text("true")),
    sa.Column("start_at", sa.DateTime(timezone=True)),
    sa.Column("anchor_at", sa.DateTime(timezone=True)),
    sa.Column("rate", sa.Float, nullable=False, server_default=sa.text("1")),
    sa.Column("note", sa.Text, nullable=False, server_default=sa.text("''::text")),
    sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("clock_timestamp()")),
    sa.CheckConstraint("id", name="clock_simulation_one_row"),
    sa.CheckConstraint("(start_at IS NULL) = (anchor_at IS NULL)", name="clock_simulation_timeline_whole"),
    sa.CheckConstraint("rate > 0", name="clock_simulation_rate_positive"),
    schema=SCHEMA,
)

#: Each scheduler's and worker's last clock check (``dramaturg status`` shows the recent ones).
clock_checks = sa.Table(
    "clock_checks",
    metadata,
    sa.Column("process", sa.Text, primary_key=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("clock_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reference_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("skew_seconds", sa.Float, nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state in ('ok', 'refused')", name="clock_checks_state_check"),
    sa.Index("clock_checks_checked_idx", "checked_at"),
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


# --- the web dyno's tables, in schema "dramaturg" (migration 0009) ------------------------------
#: API keys: only a SHA-256 of the token is stored; ``prefix`` is its visible start, for listing and revoking.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("prefix", sa.Text, nullable=False, unique=True),
    sa.Column("token_sha256", sa.Text, nullable=False, unique=True),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("org_id", sa.Text),
    sa.Column("name", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint(
        "(scope = 'admin' AND org_id IS NULL) OR (scope = 'org' AND org_id IS NOT NULL)", name="api_keys_scope_check"
    ),
    schema="dramaturg",
)

#: One row per live worker / scheduler process, re-written every few seconds (real time, not the business clock).
processes = sa.Table(
    "processes",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("threads_alive", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("threads_total", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("stats", pg.JSONB),
    sa.CheckConstraint("kind in ('worker', 'scheduler', 'web')", name="processes_kind_check"),
    sa.Index("processes_beat_idx", "beat_at"),
    schema="dramaturg",
)
