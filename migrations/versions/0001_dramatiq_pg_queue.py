"""dramatiq-pg's queue table, from its own schema file.

Revision ID: 0001
Revises:
"""

from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SQL = Path(__file__).parent.parent / "sql" / "dramatiq_pg_schema.sql"


def upgrade() -> None:
    op.execute(SQL.read_text())


def downgrade() -> None:
    op.execute("DROP TABLE dramatiq.queue")
    op.execute("DROP TYPE dramatiq.state")
    op.execute("DROP SCHEMA dramatiq")
