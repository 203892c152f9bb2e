"""The chat game's tables in schema ``game`` (created by its branch, actors/game/migrations/).

users, score_history, conversations, conversation_messages, scheduled_events
(spec 001's outbox, plus the states 'sending' and 'unknown'), daily_summaries
and registrations. ``registrations`` is not in the specs: it holds pending
sign-ups (a Telegram chat and a one-time code) that expire; the cleanup job
deletes expired ones.

Idempotency keys live here as constraints: ``score_history_decay_hour_uq``
(one decay row per user and watermark hour) and ``daily_summaries_user_date_uq``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from shared.tables import metadata

SCHEMA = "game"

_uuid_pk: dict[str, Any] = dict(primary_key=True, server_default=sa.text("gen_random_uuid()"))


def _ts(name: str, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), **_uuid_pk),
    sa.Column("chapter", sa.SmallInteger, nullable=False, server_default=sa.text("1")),
    sa.Column("score", sa.Numeric(5, 2), nullable=False, server_default=sa.text("50.00")),
    sa.Column("game_status", sa.String(20), nullable=False, server_default=sa.text("'active'::character varying")),
    _ts("last_interaction_at"),
    _ts("created_at", nullable=False, server_default=sa.text("now()")),
    sa.Column("telegram_chat_id", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("timezone", sa.Text),
    sa.CheckConstraint("chapter BETWEEN 1 AND 5", name="users_chapter_check"),
    sa.CheckConstraint("score >= 0 AND score <= 100", name="users_score_check"),
    sa.CheckConstraint("game_status IN ('active', 'boss_fight', 'game_over', 'won')", name="users_game_status_check"),
    schema=SCHEMA,
)

score_history = sa.Table(
    "score_history",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("user_id", pg.UUID(as_uuid=True), sa.ForeignKey("game.users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("score_before", sa.Numeric(5, 2), nullable=False),
    sa.Column("score_after", sa.Numeric(5, 2), nullable=False),
    sa.Column("delta", sa.Numeric(6, 2), nullable=False),
    sa.Column("event_type", sa.String(50), nullable=False),
    sa.Column("details", pg.JSONB),
    # The last whole overdue hour a decay row accounts for: the user's decay watermark.
    _ts("decay_hour"),
    _ts("created_at", nullable=False),
    sa.Index("score_history_user_created_idx", "user_id", "created_at"),
    sa.Index(
        "score_history_decay_hour_uq",
        "user_id",
        "decay_hour",
        unique=True,
        postgresql_where=sa.text("(event_type)::text = 'decay'::text"),
    ),
    schema=SCHEMA,
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), **_uuid_pk),
    sa.Column("user_id", pg.UUID(as_uuid=True), sa.ForeignKey("game.users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'active'::character varying")),
    _ts("last_message_at"),
    sa.Column("processing_stage", sa.Text),
    sa.Column("summary", sa.Text),
    sa.Column("facts", pg.JSONB),
    _ts("created_at", nullable=False, server_default=sa.text("now()")),
    sa.CheckConstraint("status IN ('active', 'idle', 'processed')", name="conversations_status_check"),
    sa.Index("conversations_status_last_message_idx", "status", "last_message_at"),
    sa.Index("conversations_user_idx", "user_id"),
    schema=SCHEMA,
)

conversation_messages = sa.Table(
    "conversation_messages",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "conversation_id",
        pg.UUID(as_uuid=True),
        sa.ForeignKey("game.conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    _ts("created_at", nullable=False, server_default=sa.text("now()")),
    sa.Index("conversation_messages_conversation_idx", "conversation_id", "created_at"),
    schema=SCHEMA,
)

EVENT_STATUSES = ("pending", "sending", "delivered", "cancelled", "failed", "unknown")

scheduled_events = sa.Table(
    "scheduled_events",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), **_uuid_pk),
    sa.Column("user_id", pg.UUID(as_uuid=True), sa.ForeignKey("game.users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("event_type", sa.String(50), nullable=False),
    sa.Column("content", pg.JSONB, nullable=False),
    _ts("scheduled_at", nullable=False),
    _ts("delivered_at"),
    sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'pending'::character varying")),
    sa.Column("retry_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("error_message", sa.Text),
    sa.Column(
        "source_conversation_id", pg.UUID(as_uuid=True), sa.ForeignKey("game.conversations.id", ondelete="SET NULL")
    ),
    _ts("created_at", nullable=False, server_default=sa.text("now()")),
    _ts("updated_at", nullable=False, server_default=sa.text("now()")),
    sa.CheckConstraint("platform IN ('telegram', 'voice')", name="scheduled_events_platform_check"),
    sa.CheckConstraint(f"status IN {EVENT_STATUSES}", name="scheduled_events_status_check"),
    sa.Index(
        "idx_scheduled_events_due",
        "status",
        "scheduled_at",
        postgresql_where=sa.text("(status)::text = 'pending'::text"),
    ),
    sa.Index("idx_scheduled_events_user", "user_id"),
    schema=SCHEMA,
)

daily_summaries = sa.Table(
    "daily_summaries",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("user_id", pg.UUID(as_uuid=True), sa.ForeignKey("game.users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("summary_date", sa.Date, nullable=False),
    sa.Column("score_start", sa.Numeric(5, 2)),
    sa.Column("score_end", sa.Numeric(5, 2)),
    sa.Column("conversations_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    # NULL while reserved: the row is claimed before the model call, filled after it.
    sa.Column("text", sa.Text),
    sa.Column("generated_by", sa.String(20)),
    _ts("created_at", nullable=False),
    sa.CheckConstraint("generated_by IN ('model', 'template')", name="daily_summaries_generated_by_check"),
    sa.UniqueConstraint("user_id", "summary_date", name="daily_summaries_user_date_uq"),
    schema=SCHEMA,
)

registrations = sa.Table(
    "registrations",
    metadata,
    sa.Column("id", pg.UUID(as_uuid=True), **_uuid_pk),
    sa.Column("telegram_chat_id", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    _ts("expires_at", nullable=False),
    _ts("created_at", nullable=False, server_default=sa.text("now()")),
    sa.Index("registrations_expires_idx", "expires_at"),
    schema=SCHEMA,
)
