"""Drop the unused generic idempotency_markers table (each domain keeps its own unique markers).

Revision ID: 0008
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("idempotency_markers", schema="dramaturg")


def downgrade() -> None:
    op.create_table(
        "idempotency_markers",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("job_name", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema="dramaturg",
    )
