"""The challenge app's tables in schema ``challenges`` (created by its branch, actors/challenges/migrations/).

- ``challenge_users``: the app's users as the jobs need them (zone, streak).
- ``challenges``, ``challenge_members``, ``challenge_member_stats``: challenges,
  who is in them, and each member's completion rate (0–100).
- ``notifications``: the app's notification feed. ``dedupe_key`` plus the
  unique (user_id, type, dedupe_key) make each notification idempotent: the
  challenge id for 'challenge_completed'/'challenge_failed', the user's local
  date for 'streak_reminder'.

The materialized view ``challenges.challenge_stats`` is created by the migration only:
it is not a table, so it stays out of this metadata.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from shared.tables import metadata

SCHEMA = "challenges"

TZ = sa.DateTime(timezone=True)

challenge_users = sa.Table(
    "challenge_users",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("timezone", sa.Text),  # IANA name; NULL means UTC
    sa.Column("current_streak", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("last_activity_date", sa.Date),
    schema=SCHEMA,
)

challenges = sa.Table(
    "challenges",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'active'::text")),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("closed_at", TZ),
    sa.CheckConstraint("status in ('active', 'completed', 'failed')", name="challenges_status_check"),
    sa.Index("challenges_active_end_idx", "end_date", postgresql_where=sa.text("status = 'active'::text")),
    schema=SCHEMA,
)

challenge_members = sa.Table(
    "challenge_members",
    metadata,
    sa.Column(
        "challenge_id",
        sa.BigInteger,
        sa.ForeignKey("challenges.challenges.id", name="challenge_members_challenge_id_fkey", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("challenges.challenge_users.id", name="challenge_members_user_id_fkey", ondelete="CASCADE"),
        primary_key=True,
    ),
    schema=SCHEMA,
)

challenge_member_stats = sa.Table(
    "challenge_member_stats",
    metadata,
    sa.Column("challenge_id", sa.BigInteger, primary_key=True),
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("completion_rate", sa.Numeric(5, 2), nullable=False, server_default=sa.text("0")),
    sa.ForeignKeyConstraint(
        ["challenge_id", "user_id"],
        ["challenges.challenge_members.challenge_id", "challenges.challenge_members.user_id"],
        name="challenge_member_stats_member_fkey",
        ondelete="CASCADE",
    ),
    sa.CheckConstraint("completion_rate between 0 and 100", name="challenge_member_stats_rate_check"),
    schema=SCHEMA,
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("challenges.challenge_users.id", name="notifications_user_id_fkey", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text),
    sa.Column("data", pg.JSONB),
    sa.Column("dedupe_key", sa.Text),
    sa.Column("read", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("created_at", TZ, nullable=False),
    sa.UniqueConstraint("user_id", "type", "dedupe_key", name="notifications_user_type_dedupe_key"),
    sa.Index("notifications_created_idx", "created_at"),
    schema=SCHEMA,
)
