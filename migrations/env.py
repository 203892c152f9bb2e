"""Alembic environment: the URL comes from the caller (``dramaturg migrate``) or the settings.

Everything alembic keeps lives in the platform's schema: its version table is
``dramaturg.alembic_version``, so an app's own alembic (``public.alembic_version``)
and ours never read each other's revisions.

The target metadata is the platform's tables plus every seed domain's, each
in its own schema, and autogenerate looks at those schemas only: ``alembic
check`` on a database with every app migrated proposes nothing, and never
proposes to drop an app's own tables in ``public``.
"""

import importlib

from alembic import context

from shared.domains import DOMAINS, PLATFORM_SCHEMAS
from shared.errors import LegacyDatabase
from shared.tables import SCHEMA, metadata

for _domain in DOMAINS.values():
    importlib.import_module(_domain.tables_module)  # its tables join shared.tables.metadata

#: The schemas autogenerate compares; public (the app's) never.
SCHEMAS = frozenset((*PLATFORM_SCHEMAS, *(d.schema for d in DOMAINS.values())))

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from shared.runtime import database_url
    from shared.settings import load_settings

    return database_url(load_settings())


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from shared.db import make_engine

    engine = make_engine(_url(), pool_size=1)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _include_name(name, type_, parent_names) -> bool:
    if type_ == "schema":
        return name in SCHEMAS  # the default schema (None, public) is the app's
    return True


#: A database of the old single chain: our tables and version table in public, none in dramaturg.
LEGACY = f"""
SELECT to_regclass('{SCHEMA}.alembic_version') IS NULL
   AND to_regclass('public.alembic_version') IS NOT NULL
   AND to_regclass('public.job_history') IS NOT NULL
   AND to_regclass('dramatiq.queue') IS NOT NULL
"""


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_schemas=True,
        include_name=_include_name,
        compare_type=True,
        version_table_schema=SCHEMA,
        # One advisory lock around the whole upgrade: two releases migrating at
        # once (two dynos, or `up` racing `migrate`) then apply each step once.
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        connection.exec_driver_sql("select pg_advisory_xact_lock(hashtext('dramaturg.migrate'))")
        if connection.exec_driver_sql(LEGACY).scalar():
            raise LegacyDatabase()
        # The version table's schema must exist before alembic creates its table.
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        context.run_migrations()


run_migrations_online()
