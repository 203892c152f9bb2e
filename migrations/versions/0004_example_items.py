"""The example job's tables: example_items and its idempotency markers example_touches.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "example_items",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        sa.Column("touches", sa.Integer, nullable=False, server_default="0"),
        sa.Column("fail_first", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_touched_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text),
        sa.CheckConstraint("status in ('active', 'failed', 'inactive')", name="example_items_status_check"),
    )
    op.create_table(
        "example_touches",
        sa.Column("item_id", sa.BigInteger, sa.ForeignKey("example_items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("example_touches")
    op.drop_table("example_items")
