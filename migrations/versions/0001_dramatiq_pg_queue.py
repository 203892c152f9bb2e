"""dramatiq-pg's queue table, from its own schema file.

The base of the platform's alembic branch (label ``platform``: schemas
``dramatiq`` and ``dramaturg``). Each seed domain has a branch of its own,
in its own schema, with its revisions beside its code
(``actors/<domain>/migrations/``, see shared/domains.py).

Revision ID: 0001
Revises:
"""

from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None
branch_labels = ("platform",)
depends_on = None

SQL = Path(__file__).parent.parent / "sql" / "dramatiq_pg_schema.sql"


def upgrade() -> None:
    op.execute(SQL.read_text())


def downgrade() -> None:
    op.execute("DROP TABLE dramatiq.queue")
    op.execute("DROP TYPE dramatiq.state")
    op.execute("DROP SCHEMA dramatiq")
