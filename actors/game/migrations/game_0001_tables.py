"""The chat game's tables in schema ``game`` (users, score_history, conversations, messages, scheduled_events, daily_summaries, registrations).

The first revision of the game app's own alembic branch (branch label
``game``): ``dramaturg migrate`` applies it when ``DRAMATURG_APPS`` names
``game``, and ``alembic downgrade game@base`` removes the app alone, schema
included.

Revision ID: game_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "game_0001"
down_revision = None
branch_labels = ("game",)
depends_on = None

SCHEMA = "game"

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
GEN_UUID = sa.text("gen_random_uuid()")
NOW = sa.text("now()")


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.create_table(
        "users",
        sa.Column("id", UUID, primary_key=True, server_default=GEN_UUID),
        sa.Column("chapter", sa.SmallInteger, nullable=False, server_default=sa.text("1")),
        sa.Column("score", sa.Numeric(5, 2), nullable=False, server_default=sa.text("50.00")),
        sa.Column("game_status", sa.String(20), nullable=False, server_default=sa.text("'active'::character varying")),
        sa.Column("last_interaction_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("telegram_chat_id", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("timezone", sa.Text),
        sa.CheckConstraint("chapter BETWEEN 1 AND 5", name="users_chapter_check"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="users_score_check"),
        sa.CheckConstraint(
            "game_status IN ('active', 'boss_fight', 'game_over', 'won')", name="users_game_status_check"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "score_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", UUID, sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("score_before", sa.Numeric(5, 2), nullable=False),
        sa.Column("score_after", sa.Numeric(5, 2), nullable=False),
        sa.Column("delta", sa.Numeric(6, 2), nullable=False),
        sa.Column("event_type", sa.String(50), nullable=False),
        sa.Column("details", pg.JSONB),
        sa.Column("decay_hour", TS),
        sa.Column("created_at", TS, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("score_history_user_created_idx", "score_history", ["user_id", "created_at"], schema=SCHEMA)
    op.create_index(
        "score_history_decay_hour_uq",
        "score_history",
        ["user_id", "decay_hour"],
        unique=True,
        postgresql_where=sa.text("event_type = 'decay'"),
        schema=SCHEMA,
    )
    op.create_table(
        "conversations",
        sa.Column("id", UUID, primary_key=True, server_default=GEN_UUID),
        sa.Column("user_id", UUID, sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'active'::character varying")),
        sa.Column("last_message_at", TS),
        sa.Column("processing_stage", sa.Text),
        sa.Column("summary", sa.Text),
        sa.Column("facts", pg.JSONB),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("status IN ('active', 'idle', 'processed')", name="conversations_status_check"),
        schema=SCHEMA,
    )
    op.create_index(
        "conversations_status_last_message_idx", "conversations", ["status", "last_message_at"], schema=SCHEMA
    )
    op.create_index("conversations_user_idx", "conversations", ["user_id"], schema=SCHEMA)
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "conversation_id", UUID, sa.ForeignKey(f"{SCHEMA}.conversations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        schema=SCHEMA,
    )
    op.create_index(
        "conversation_messages_conversation_idx",
        "conversation_messages",
        ["conversation_id", "created_at"],
        schema=SCHEMA,
    )
    op.create_table(
        "scheduled_events",
        sa.Column("id", UUID, primary_key=True, server_default=GEN_UUID),
        sa.Column("user_id", UUID, sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("event_type", sa.String(50), nullable=False),
        sa.Column("content", pg.JSONB, nullable=False),
        sa.Column("scheduled_at", TS, nullable=False),
        sa.Column("delivered_at", TS),
        sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'pending'::character varying")),
        sa.Column("retry_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("error_message", sa.Text),
        sa.Column("source_conversation_id", UUID, sa.ForeignKey(f"{SCHEMA}.conversations.id", ondelete="SET NULL")),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("platform IN ('telegram', 'voice')", name="scheduled_events_platform_check"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'delivered', 'cancelled', 'failed', 'unknown')",
            name="scheduled_events_status_check",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "idx_scheduled_events_due",
        "scheduled_events",
        ["status", "scheduled_at"],
        postgresql_where=sa.text("status = 'pending'"),
        schema=SCHEMA,
    )
    op.create_index("idx_scheduled_events_user", "scheduled_events", ["user_id"], schema=SCHEMA)
    op.create_table(
        "daily_summaries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", UUID, sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("summary_date", sa.Date, nullable=False),
        sa.Column("score_start", sa.Numeric(5, 2)),
        sa.Column("score_end", sa.Numeric(5, 2)),
        sa.Column("conversations_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("text", sa.Text),
        sa.Column("generated_by", sa.String(20)),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("generated_by IN ('model', 'template')", name="daily_summaries_generated_by_check"),
        sa.UniqueConstraint("user_id", "summary_date", name="daily_summaries_user_date_uq"),
        schema=SCHEMA,
    )
    op.create_table(
        "registrations",
        sa.Column("id", UUID, primary_key=True, server_default=GEN_UUID),
        sa.Column("telegram_chat_id", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        schema=SCHEMA,
    )
    op.create_index("registrations_expires_idx", "registrations", ["expires_at"], schema=SCHEMA)


def downgrade() -> None:
    for table in (
        "registrations",
        "daily_summaries",
        "scheduled_events",
        "conversation_messages",
        "conversations",
        "score_history",
        "users",
    ):
        op.drop_table(table, schema=SCHEMA)
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")  # RESTRICT: refuses if anything else was put there
