"""Queue columns for lease-based claims: eta, priority, lease owner/expiry, claims, reason.

Also fixes dramatiq-pg's mtime default, which stored naive UTC into a
timestamptz (wrong whenever the session time zone is not UTC).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

QUEUED = sa.text("state = 'queued'::dramatiq.state")
CONSUMED = sa.text("state = 'consumed'::dramatiq.state")


def upgrade() -> None:
    op.alter_column("queue", "mtime", server_default=sa.text("now()"), schema="dramatiq")
    op.add_column(
        "queue",
        sa.Column("eta", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        schema="dramatiq",
    )
    op.add_column(
        "queue", sa.Column("priority", sa.SmallInteger, nullable=False, server_default=sa.text("0")), schema="dramatiq"
    )
    op.add_column(
        "queue",
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        schema="dramatiq",
    )
    op.add_column("queue", sa.Column("lease_owner", pg.UUID(as_uuid=True)), schema="dramatiq")
    op.add_column("queue", sa.Column("lease_expires_at", sa.DateTime(timezone=True)), schema="dramatiq")
    op.add_column(
        "queue", sa.Column("claims", sa.Integer, nullable=False, server_default=sa.text("0")), schema="dramatiq"
    )
    op.add_column("queue", sa.Column("reason", sa.Text), schema="dramatiq")
    op.create_index(
        "queue_claim_idx", "queue", ["queue_name", "priority", "eta"], schema="dramatiq", postgresql_where=QUEUED
    )
    op.create_index("queue_lease_idx", "queue", ["lease_expires_at"], schema="dramatiq", postgresql_where=CONSUMED)


def downgrade() -> None:
    op.drop_index("queue_lease_idx", table_name="queue", schema="dramatiq")
    op.drop_index("queue_claim_idx", table_name="queue", schema="dramatiq")
    for column in ("reason", "claims", "lease_expires_at", "lease_owner", "enqueued_at", "priority", "eta"):
        op.drop_column("queue", column, schema="dramatiq")
    op.alter_column("queue", "mtime", server_default=sa.text("(now() AT TIME ZONE 'UTC')"), schema="dramatiq")
