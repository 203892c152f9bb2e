"""The challenge app's tables (challenges, members, stats, notifications, stats view).

The materialized view ``challenge_stats`` (one row per challenge: member count
and average completion rate) is created here only; its unique index lets
refresh-stats use ``REFRESH MATERIALIZED VIEW CONCURRENTLY``.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

STATS_VIEW = """
CREATE MATERIALIZED VIEW challenge_stats AS
SELECT c.id AS challenge_id,
       c.status,
       count(m.user_id) AS member_count,
       coalesce(round(avg(coalesce(s.completion_rate, 0)), 2), 0) AS avg_completion_rate
FROM challenges c
LEFT JOIN challenge_members m ON m.challenge_id = c.id
LEFT JOIN challenge_member_stats s ON s.challenge_id = m.challenge_id AND s.user_id = m.user_id
GROUP BY c.id, c.status
"""


def upgrade() -> None:
    op.create_table(
        "challenge_users",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("timezone", sa.Text),
        sa.Column("current_streak", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_activity_date", sa.Date),
    )
    op.create_table(
        "challenges",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'active'::text")),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("closed_at", TZ),
        sa.CheckConstraint("status in ('active', 'completed', 'failed')", name="challenges_status_check"),
    )
    op.create_index(
        "challenges_active_end_idx", "challenges", ["end_date"], postgresql_where=sa.text("status = 'active'::text")
    )
    op.create_table(
        "challenge_members",
        sa.Column("challenge_id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenges.id"], name="challenge_members_challenge_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["challenge_users.id"], name="challenge_members_user_id_fkey", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "challenge_member_stats",
        sa.Column("challenge_id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("completion_rate", sa.Numeric(5, 2), nullable=False, server_default=sa.text("0")),
        sa.ForeignKeyConstraint(
            ["challenge_id", "user_id"],
            ["challenge_members.challenge_id", "challenge_members.user_id"],
            name="challenge_member_stats_member_fkey",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("completion_rate between 0 and 100", name="challenge_member_stats_rate_check"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("data", pg.JSONB),
        sa.Column("dedupe_key", sa.Text),
        sa.Column("read", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["challenge_users.id"], name="notifications_user_id_fkey", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "type", "dedupe_key", name="notifications_user_type_dedupe_key"),
    )
    op.create_index("notifications_created_idx", "notifications", ["created_at"])
    op.execute(STATS_VIEW)
    # REFRESH ... CONCURRENTLY needs a unique index over all rows of the view.
    op.execute("CREATE UNIQUE INDEX challenge_stats_challenge_id_key ON challenge_stats (challenge_id)")


def downgrade() -> None:
    op.execute("DROP MATERIALIZED VIEW IF EXISTS challenge_stats")
    op.drop_table("notifications")
    op.drop_table("challenge_member_stats")
    op.drop_table("challenge_members")
    op.drop_table("challenges")
    op.drop_table("challenge_users")
