"""The example job's tables in schema ``example``: example_items and its idempotency markers example_touches.

The first revision of the example app's own alembic branch (branch label
``example``): ``dramaturg migrate`` applies it when ``DRAMATURG_APPS`` names
``example``, and ``alembic downgrade example@base`` removes the app alone, schema
included.

Revision ID: example_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "example_0001"
down_revision = None
branch_labels = ("example",)
depends_on = None

SCHEMA = "example"


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
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
        schema=SCHEMA,
    )
    op.create_table(
        "example_touches",
        sa.Column(
            "item_id", sa.BigInteger, sa.ForeignKey(f"{SCHEMA}.example_items.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("example_touches", schema=SCHEMA)
    op.drop_table("example_items", schema=SCHEMA)
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")  # RESTRICT: refuses if anything else was put there
