"""The challenge app's tables in schema ``challenges`` (challenges, members, stats, notifications, stats view).

The materialized view ``challenge_stats`` (one row per challenge: member count
and average completion rate) is created here only; its unique index lets
refresh-stats use ``REFRESH MATERIALIZED VIEW CONCURRENTLY``.

The first revision of the challenges app's own alembic branch (branch label
``challenges``): ``dramaturg migrate`` applies it when ``DRAMATURG_APPS`` names
``challenges``, and ``alembic downgrade challenges@base`` removes the app alone, schema
included.

Revision ID: challenges_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "challenges_0001"
down_revision = None
branch_labels = ("challenges",)
depends_on = None

SCHEMA = "challenges"

TZ = sa.DateTime(timezone=True)

STATS_VIEW = """
CREATE MATERIALIZED VIEW challenges.challenge_stats AS
SELECT c.id AS challenge_id,
       c.status,
       count(m.user_id) AS member_count,
       coalesce(round(avg(coalesce(s.completion_rate, 0)), 2), 0) AS avg_completion_rate
FROM challenges.challenges c
LEFT JOIN challenges.challenge_members m ON m.challenge_id = c.id
LEFT JOIN challenges.challenge_member_stats s ON s.challenge_id = m.challenge_id AND s.user_id = m.user_id
GROUP BY c.id, c.status
"""


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.create_table(
        "challenge_users",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("timezone", sa.Text),
        sa.Column("current_streak", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_activity_date", sa.Date),
        schema=SCHEMA,
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
        schema=SCHEMA,
    )
    op.create_index(
        "challenges_active_end_idx",
        "challenges",
        ["end_date"],
        postgresql_where=sa.text("status = 'active'::text"),
        schema=SCHEMA,
    )
    op.create_table(
        "challenge_members",
        sa.Column("challenge_id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            [f"{SCHEMA}.challenges.id"],
            name="challenge_members_challenge_id_fkey",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{SCHEMA}.challenge_users.id"], name="challenge_members_user_id_fkey", ondelete="CASCADE"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "challenge_member_stats",
        sa.Column("challenge_id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("completion_rate", sa.Numeric(5, 2), nullable=False, server_default=sa.text("0")),
        sa.ForeignKeyConstraint(
            ["challenge_id", "user_id"],
            [f"{SCHEMA}.challenge_members.challenge_id", f"{SCHEMA}.challenge_members.user_id"],
            name="challenge_member_stats_member_fkey",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("completion_rate between 0 and 100", name="challenge_member_stats_rate_check"),
        schema=SCHEMA,
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
            ["user_id"], [f"{SCHEMA}.challenge_users.id"], name="notifications_user_id_fkey", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "type", "dedupe_key", name="notifications_user_type_dedupe_key"),
        schema=SCHEMA,
    )
    op.create_index("notifications_created_idx", "notifications", ["created_at"], schema=SCHEMA)
    op.execute(STATS_VIEW)
    # REFRESH ... CONCURRENTLY needs a unique index over all rows of the view.
    op.execute("CREATE UNIQUE INDEX challenge_stats_challenge_id_key ON challenges.challenge_stats (challenge_id)")


def downgrade() -> None:
    op.execute("DROP MATERIALIZED VIEW IF EXISTS challenges.challenge_stats")
    op.drop_table("notifications", schema=SCHEMA)
    op.drop_table("challenge_member_stats", schema=SCHEMA)
    op.drop_table("challenge_members", schema=SCHEMA)
    op.drop_table("challenges", schema=SCHEMA)
    op.drop_table("challenge_users", schema=SCHEMA)
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")  # RESTRICT: refuses if anything else was put there
