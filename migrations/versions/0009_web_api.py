"""The web dyno's tables: API keys and process heartbeats (schema ``dramaturg``), job_history for the job API.

Platform tables live in the ``dramaturg`` schema. job_history gains what the job API needs: the
organization a run belongs to, an idempotency key unique per organization,
``retry_of`` (a retry is a new run linked to the original), ``acted_by`` (who
cancelled, retried or triggered it), ``attempt_log`` (each failed attempt's
error, kept when the next attempt starts) and the ``cancelled`` status —
plus the indexes that keep the dashboard's pages fast on a million rows.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
S = "dramaturg"

OLD_STATUSES = ("queued", "running", "succeeded", "failed", "retrying", "skipped")
STATUSES = OLD_STATUSES + ("cancelled",)
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS dramaturg")
    op.create_table(
        "api_keys",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("prefix", sa.Text, nullable=False, unique=True),
        sa.Column("token_sha256", sa.Text, nullable=False, unique=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("org_id", sa.Text),
        sa.Column("name", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ),
        sa.CheckConstraint(
            "(scope = 'admin' AND org_id IS NULL) OR (scope = 'org' AND org_id IS NOT NULL)",
            name="api_keys_scope_check",
        ),
        schema="dramaturg",
    )
    op.create_table(
        "processes",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("beat_at", TZ, nullable=False),
        sa.Column("threads_alive", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("threads_total", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("stats", pg.JSONB),
        sa.CheckConstraint("kind in ('worker', 'scheduler', 'web')", name="processes_kind_check"),
        schema="dramaturg",
    )
    op.create_index("processes_beat_idx", "processes", ["beat_at"], schema="dramaturg")

    op.add_column("job_history", sa.Column("org_id", sa.Text), schema=S)
    op.add_column("job_history", sa.Column("idempotency_key", sa.Text), schema=S)
    op.add_column(
        "job_history",
        sa.Column("retry_of", sa.BigInteger, sa.ForeignKey("dramaturg.job_history.id", ondelete="SET NULL")),
        schema=S,
    )
    op.add_column("job_history", sa.Column("acted_by", sa.Text), schema=S)
    op.add_column("job_history", sa.Column("attempt_log", pg.JSONB), schema=S)
    op.drop_constraint("job_history_status_check", "job_history", type_="check", schema=S)
    op.create_check_constraint("job_history_status_check", "job_history", f"status in {STATUSES}", schema=S)
    for name, columns, kw in _indexes():
        op.create_index(name, "job_history", columns, schema=S, **kw)


def _indexes():
    return [
        # One key per organization; NULLS NOT DISTINCT so keys without an org are unique too.
        (
            "job_history_org_idempotency_idx",
            ["org_id", "idempotency_key"],
            dict(
                unique=True,
                postgresql_nulls_not_distinct=True,
                postgresql_where=sa.text("idempotency_key IS NOT NULL"),
            ),
        ),
        (
            "job_history_org_id_idx",
            ["org_id", sa.text("id DESC")],
            dict(postgresql_where=sa.text("org_id IS NOT NULL")),
        ),
        # The per-organization limit counts these; small because finished runs leave it.
        (
            "job_history_org_active_idx",
            ["org_id"],
            dict(postgresql_where=sa.text("org_id IS NOT NULL AND status IN ('queued', 'running', 'retrying')")),
        ),
        ("job_history_status_id_idx", ["status", sa.text("id DESC")], {}),
        # Top-level runs (not fan-out children): the runs page and each job's last run.
        ("job_history_top_id_idx", [sa.text("id DESC")], dict(postgresql_where=sa.text("trigger <> 'fanout'"))),
        (
            "job_history_top_job_idx",
            ["job_name", sa.text("id DESC")],
            dict(postgresql_where=sa.text("trigger <> 'fanout'")),
        ),
        ("job_history_retry_of_idx", ["retry_of"], dict(postgresql_where=sa.text("retry_of IS NOT NULL"))),
    ]


def downgrade() -> None:
    for name, _, _ in reversed(_indexes()):
        op.drop_index(name, "job_history", schema=S)
    op.execute("UPDATE dramaturg.job_history SET status = 'failed' WHERE status = 'cancelled'")
    op.drop_constraint("job_history_status_check", "job_history", type_="check", schema=S)
    op.create_check_constraint("job_history_status_check", "job_history", f"status in {OLD_STATUSES}", schema=S)
    for column in ("attempt_log", "acted_by", "retry_of", "idempotency_key", "org_id"):
        op.drop_column("job_history", column, schema=S)
    op.drop_index("processes_beat_idx", "processes", schema="dramaturg")
    op.drop_table("processes", schema="dramaturg")
    op.drop_table("api_keys", schema="dramaturg")
