"""The alembic chain: idempotent upgrade, full downgrade, and a schema equal to the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import actors  # noqa: F401  (every domain's tables join shared.tables.metadata)
from shared.db import make_engine
from shared.migrate import downgrade, upgrade
from shared.tables import metadata


def _diff(url: str) -> list:
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": True,
                "compare_type": True,
                "include_name": _include_name,
                "version_table_schema": "dramaturg",
            },
        )
        diff = compare_metadata(ctx, metadata)
    engine.dispose()
    return diff


def _include_name(name, type_, parent_names):
    if type_ == "schema":
        return name in (None, "dramatiq", "dramaturg")
    return True


def _tables(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1)
    names = set(sa.inspect(engine).get_table_names()) | {
        f"{schema}.{t}"
        for schema in ("dramatiq", "dramaturg")
        for t in sa.inspect(engine).get_table_names(schema=schema)
    }
    engine.dispose()
    return names


def test_upgrade_head_twice_is_a_no_op_and_matches_the_models(empty_db_url):
    # Given an empty database
    # When it is migrated to head twice
    upgrade(empty_db_url)
    upgrade(empty_db_url)
    # Then the schema equals the models: autogenerate finds nothing to change
    assert _diff(empty_db_url) == []
    assert {"dramaturg.job_history", "dramaturg.scheduler_state", "dramatiq.queue"} <= _tables(empty_db_url)


def test_downgrade_to_base_then_upgrade_again(empty_db_url):
    # Given a migrated database
    upgrade(empty_db_url)
    # When it is downgraded to base
    downgrade(empty_db_url, "base")
    # Then only alembic's own table is left
    assert _tables(empty_db_url) <= {"dramaturg.alembic_version"}
    # And it migrates back to head cleanly
    upgrade(empty_db_url)
    assert _diff(empty_db_url) == []
