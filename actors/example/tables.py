"""The example job's tables in schema ``example`` (created by its branch, actors/example/migrations/).

- ``example_items``: what example-touch touches; ``fail_first`` makes a child fail its first attempts.
- ``example_touches``: one row per (item, period) touched, the job's idempotency marker.
"""

from __future__ import annotations

import sqlalchemy as sa

from shared.tables import metadata

SCHEMA = "example"

example_items = sa.Table(
    "example_items",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'active'::text")),
    sa.Column("touches", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("fail_first", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("last_touched_at", sa.DateTime(timezone=True)),
    sa.Column("error", sa.Text),
    sa.CheckConstraint("status in ('active', 'failed', 'inactive')", name="example_items_status_check"),
    schema=SCHEMA,
)

example_touches = sa.Table(
    "example_touches",
    metadata,
    sa.Column(
        "item_id", sa.BigInteger, sa.ForeignKey("example.example_items.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
    schema=SCHEMA,
)
