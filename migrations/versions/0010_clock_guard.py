"""The clock guard: whether this database runs on a simulated clock, and each process's last clock check.

``clock_simulation`` holds at most one row. No row: the database's own clock
is the reference every scheduler, worker and trigger is checked against. A
row marks the database as simulated (tests, demos, replays): with a timeline
(``start_at``, ``anchor_at``, ``rate``) the reference is that timeline read
off the database's clock; without one, a process's simulated clock is trusted.

``clock_checks`` is what ``dramaturg status`` shows: per process, the skew it
last measured and whether it refused to work because of it.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clock_simulation",
        sa.Column("id", sa.Boolean, primary_key=True, server_default=sa.text("true")),
        sa.Column("start_at", TZ),
        sa.Column("anchor_at", TZ),
        sa.Column("rate", sa.Float, nullable=False, server_default=sa.text("1")),
        sa.Column("note", sa.Text, nullable=False, server_default=sa.text("''::text")),
        sa.Column("marked_at", TZ, nullable=False, server_default=sa.text("clock_timestamp()")),
        sa.CheckConstraint("id", name="clock_simulation_one_row"),
        sa.CheckConstraint("(start_at IS NULL) = (anchor_at IS NULL)", name="clock_simulation_timeline_whole"),
        sa.CheckConstraint("rate > 0", name="clock_simulation_rate_positive"),
        schema="dramaturg",
    )
    op.create_table(
        "clock_checks",
        sa.Column("process", sa.Text, primary_key=True),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("clock_at", TZ, nullable=False),
        sa.Column("reference_at", TZ, nullable=False),
        sa.Column("skew_seconds", sa.Float, nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("checked_at", TZ, nullable=False),
        sa.CheckConstraint("state in ('ok', 'refused')", name="clock_checks_state_check"),
        schema="dramaturg",
    )
    op.create_index("clock_checks_checked_idx", "clock_checks", ["checked_at"], schema="dramaturg")


def downgrade() -> None:
    op.drop_index("clock_checks_checked_idx", table_name="clock_checks", schema="dramaturg")
    op.drop_table("clock_checks", schema="dramaturg")
    op.drop_table("clock_simulation", schema="dramaturg")
